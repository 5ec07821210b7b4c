using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Udp;

/// <summary>SO_REUSEPORT lets one socket per reactor queue bind the same address and port; the kernel spreads flows over them.</summary>
public sealed class UdpReusePortTests
{
    private const int SlotSize = 2048;
    private const int Flows = 32;
    private static readonly uint s_loopback = Ipv4.Parse("127.0.0.1");
    private static readonly UdpSocketOptions s_shared = new() { ReusePort = true, ReceiveBufferBytes = 1 << 20 };

    [Fact]
    public void Two_sockets_bind_one_port_and_between_them_receive_every_flow()
    {
        using var stop = new ShutdownSignal();
        using var watchdog = new ShutdownWatchdog(stop, TimeSpan.FromSeconds(20));
        using UdpBatchSocket first = UdpBatchSocket.Open(s_loopback, 0, 32, stop, s_shared);
        using UdpBatchSocket second = UdpBatchSocket.Open(s_loopback, first.LocalPort, 32, stop, s_shared);
        Assert.Equal(first.LocalPort, second.LocalPort);
        Assert.True(first.ReusePort && second.ReusePort);
        var sources = new List<PeerEndpoint>();
        Thread[] readers = [.. new[] { first, second }.Select(socket => StartReader(socket, sources))];

        // One datagram from each of many source ports: each is its own flow for the kernel's reuseport hash.
        var senders = Enumerable.Range(0, Flows).Select(_ => UdpBatchSocket.Open(s_loopback, 0, 1, stop)).ToList();
        try
        {
            foreach (UdpBatchSocket sender in senders)
            {
                Assert.Equal(1, sender.Send(Datagrams.BatchOf(SlotSize, [100], first.LocalEndpoint)));
            }
            bool all = SpinWait.SpinUntil(() => first.DatagramsReceived + second.DatagramsReceived >= Flows, TimeSpan.FromSeconds(10));
            stop.Signal();
            foreach (Thread reader in readers)
            {
                Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "a reader did not stop on shutdown");
            }

            Assert.True(all, $"only {first.DatagramsReceived + second.DatagramsReceived} of {Flows} datagrams arrived");
            Assert.True(first.DatagramsReceived > 0 && second.DatagramsReceived > 0,
                $"all {Flows} flows went to one socket ({first.DatagramsReceived} and {second.DatagramsReceived})");
            Assert.Equal(senders.Select(s => s.LocalEndpoint).OrderBy(e => e.Port), sources.OrderBy(e => e.Port));
        }
        finally
        {
            stop.Signal();
            senders.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void A_socket_without_reuse_port_cannot_join_the_shared_port()
    {
        using var shutdown = new ShutdownSignal();
        using UdpBatchSocket first = UdpBatchSocket.Open(s_loopback, 0, 4, shutdown, s_shared);

        var error = Assert.Throws<SystemCallException>(() => UdpBatchSocket.Open(s_loopback, first.LocalPort, 4, shutdown));

        Assert.Equal(LibC.EADDRINUSE, error.Errno);
    }

    private static Thread StartReader(UdpBatchSocket socket, List<PeerEndpoint> sources)
    {
        var thread = new Thread(() =>
        {
            var batch = new PacketBatch(32, SlotSize);
            while (socket.Receive(batch))
            {
                lock (sources)
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        sources.Add(batch.Endpoint(i));
                    }
                }
            }
        })
        { IsBackground = true };
        thread.Start();
        return thread;
    }
}
