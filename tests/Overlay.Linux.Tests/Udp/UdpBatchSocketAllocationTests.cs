using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.TestKit.Allocation;
using Overlay.Linux.Udp;

namespace Overlay.Linux.Tests.Udp;

/// <summary>
/// The steady-state packet path allocates nothing: Send and Receive reuse their native arrays and the slab, with and
/// without GSO and GRO.
/// </summary>
public sealed class UdpBatchSocketAllocationTests
{
    private const int BatchSize = 32;
    private const int DatagramBytes = 200;
    private const int MeasuredRounds = 200;

    [Fact]
    public void Send_and_receive_of_thousands_of_datagrams_allocate_zero_bytes()
    {
        uint loopback = Ipv4.Parse("127.0.0.1");
        using var shutdown = new ShutdownSignal();
        using var watchdog = new ShutdownWatchdog(shutdown, TimeSpan.FromSeconds(30));
        using UdpBatchSocket receiver = UdpBatchSocket.Open(loopback, 0, BatchSize, shutdown, receiveBufferBytes: 4 << 20);
        using UdpBatchSocket sender = UdpBatchSocket.Open(loopback, 0, BatchSize, shutdown);
        PacketBatch outgoing = FullBatch(DatagramBytes, receiver.LocalEndpoint);
        var incoming = new PacketBatch(BatchSize, 2048);

        (long warmUp, long received, int windows) = MeasureExchange(sender, receiver, outgoing, incoming);

        Assert.Equal(100L * BatchSize, warmUp);
        Assert.Equal((long)windows * MeasuredRounds * BatchSize, received);
        Assert.False(watchdog.Fired);
    }

    [Fact]
    public void Gso_sends_and_gro_receives_with_pending_datagrams_allocate_zero_bytes()
    {
        const int GsoDatagramBytes = 1400;
        uint loopback = Ipv4.Parse("127.0.0.1");
        using var shutdown = new ShutdownSignal();
        using var watchdog = new ShutdownWatchdog(shutdown, TimeSpan.FromSeconds(30));
        using UdpBatchSocket receiver = UdpBatchSocket.Open(loopback, 0, BatchSize, shutdown, new UdpSocketOptions { Gro = true, ReceiveBufferBytes = 8 << 20 });
        using UdpBatchSocket sender = UdpBatchSocket.Open(loopback, 0, BatchSize, shutdown, new UdpSocketOptions { Gso = true });
        PacketBatch outgoing = FullBatch(GsoDatagramBytes, receiver.LocalEndpoint);
        // Smaller than one coalesced message, so most datagrams are delivered from the socket's pending store.
        var incoming = new PacketBatch(BatchSize / 4, 2048);

        (long warmUp, long received, int windows) = MeasureExchange(sender, receiver, outgoing, incoming);

        Assert.Equal(100L * BatchSize, warmUp);
        Assert.Equal((long)windows * MeasuredRounds * BatchSize, received);
        Assert.True(sender.GsoRuns >= 100 + MeasuredRounds, $"only {sender.GsoRuns} GSO runs: the GSO path was not measured");
        Assert.True(receiver.GroSegments > receiver.GroMessages, "nothing came coalesced: the GRO path was not measured");
        Assert.False(watchdog.Fired);
    }

    /// <summary><see cref="BatchSize"/> datagrams of <paramref name="bytes"/> each, all to <paramref name="destination"/>.</summary>
    private static PacketBatch FullBatch(int bytes, PeerEndpoint destination) =>
        Datagrams.BatchOf(2048, [.. Enumerable.Repeat(bytes, BatchSize)], destination);

    /// <summary>
    /// Exchanges 100 warm-up rounds, to JIT both paths (through tier-up) and let the first-call caches settle, then
    /// windows of <see cref="MeasuredRounds"/> rounds until one allocates nothing on this thread (asserted; see
    /// <see cref="SteadyStateAllocation"/>). Returns the datagrams received in warm-up and in the measured windows.
    /// </summary>
    private static (long WarmUp, long Received, int Windows) MeasureExchange(UdpBatchSocket sender, UdpBatchSocket receiver,
        PacketBatch outgoing, PacketBatch incoming)
    {
        long warmUp = Exchange(sender, receiver, outgoing, incoming, rounds: 100);
        long received = 0;
        int windows = SteadyStateAllocation.AssertClean(
            () => SteadyStateAllocation.BytesAllocatedBy(() => received += Exchange(sender, receiver, outgoing, incoming, MeasuredRounds)),
            $"{MeasuredRounds * BatchSize} datagrams");
        return (warmUp, received, windows);
    }

    private static long Exchange(UdpBatchSocket sender, UdpBatchSocket receiver, PacketBatch outgoing, PacketBatch incoming, int rounds)
    {
        long total = 0;
        for (int round = 0; round < rounds; round++)
        {
            int sent = sender.Send(outgoing);
            int got = 0;
            while (got < sent && receiver.Receive(incoming))
            {
                got += incoming.Count;
            }
            total += got;
        }
        return total;
    }
}
