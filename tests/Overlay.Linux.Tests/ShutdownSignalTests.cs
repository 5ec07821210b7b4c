using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Udp;

namespace Overlay.Linux.Tests;

public sealed class ShutdownSignalTests
{
    [Fact]
    public void Is_not_signalled_until_signal_is_called_and_stays_signalled()
    {
        using var signal = new ShutdownSignal();
        Assert.False(signal.IsSignalled);

        signal.Signal();
        signal.Signal();

        Assert.True(signal.IsSignalled);
    }

    [Fact]
    public void One_signal_wakes_every_thread_blocked_on_it()
    {
        uint loopback = Ipv4.Parse("127.0.0.1");
        using var signal = new ShutdownSignal();
        using UdpBatchSocket first = UdpBatchSocket.Open(loopback, 0, 2, signal);
        using UdpBatchSocket second = UdpBatchSocket.Open(loopback, 0, 2, signal);
        var results = new bool?[2];
        Thread[] threads =
        [
            new(() => results[0] = first.Receive(new PacketBatch(2, 256))) { IsBackground = true },
            new(() => results[1] = second.Receive(new PacketBatch(2, 256))) { IsBackground = true },
        ];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
        Assert.False(threads[0].Join(TimeSpan.FromMilliseconds(200)));

        signal.Signal();

        foreach (Thread thread in threads)
        {
            Assert.True(thread.Join(TimeSpan.FromSeconds(5)), "a blocked Receive was not woken");
        }
        Assert.Equal([false, false], results);
    }

    [Fact]
    public void Signal_after_dispose_is_harmless()
    {
        var signal = new ShutdownSignal();
        signal.Dispose();

        signal.Signal();

        Assert.True(signal.IsSignalled);
    }
}
