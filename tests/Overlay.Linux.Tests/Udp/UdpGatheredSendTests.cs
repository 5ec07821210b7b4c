using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Udp;

/// <summary>
/// Datagrams in two pieces, as the segmenter leaves them (headers in the slot, payload as a tail in the superpacket's
/// slab), leave as the two pieces gathered: with and without GSO, one outcome per slot, refusals included.
/// </summary>
public sealed class UdpGatheredSendTests : IDisposable
{
    private const int SlotSize = 1472;
    private const int HeadLength = 40;
    private static readonly uint s_loopback = Ipv4.Parse("127.0.0.1");
    private static readonly UdpSocketOptions s_bigReceiveBuffer = new() { ReceiveBufferBytes = 8 << 20 };

    private readonly ShutdownSignal _shutdown = new();
    private readonly ShutdownWatchdog _watchdog;

    public UdpGatheredSendTests() => _watchdog = new ShutdownWatchdog(_shutdown, TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _watchdog.Dispose();
        _shutdown.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Forty_five_segments_with_tails_arrive_as_their_headers_followed_by_their_payloads(bool gso)
    {
        int[] sizes = [.. Enumerable.Repeat(1472, 44), 700];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, new UdpSocketOptions { Gso = gso });
        (PacketBatch outgoing, byte[][] expected) = SegmentsOf(sizes, _ => receiver.LocalEndpoint);

        Assert.Equal(45, sender.Send(outgoing));

        Assert.Equal(sizes.Sum(), sender.BytesSent);
        Assert.Equal(gso ? 1 : 0, sender.GsoRuns);
        Assert.All(Enumerable.Range(0, 45), i => Assert.Equal(SlotOutcome.Done, outgoing.Outcome(i)));
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(64, 2048), 45);
        Assert.Equal(expected, received.Select(r => r.Bytes));
    }

    [Fact]
    public void A_refused_run_between_accepted_ones_marks_exactly_its_own_slots()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, new UdpSocketOptions { Gso = true });
        // UDP refuses destination port 0 with EINVAL.
        var nowhere = new PeerEndpoint(s_loopback, 0);
        int[] sizes = [1000, 1000, 1000, 1000, 1000, 1000];
        (PacketBatch outgoing, byte[][] expected) = SegmentsOf(sizes, i => i is 2 or 3 ? nowhere : receiver.LocalEndpoint);

        Assert.Equal(4, sender.Send(outgoing));

        Assert.Equal([SlotOutcome.Done, SlotOutcome.Done, LibC.EINVAL, LibC.EINVAL, SlotOutcome.Done, SlotOutcome.Done],
            Enumerable.Range(0, 6).Select(i => outgoing.Outcome(i)));
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(16, 2048), 4);
        Assert.Equal([expected[0], expected[1], expected[4], expected[5]], received.Select(r => r.Bytes));
    }

    [Fact]
    public void A_tail_outside_its_source_is_refused_as_malformed_and_the_rest_is_sent()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, new UdpSocketOptions { Gso = true });
        int[] sizes = [500, 500, 500];
        (PacketBatch outgoing, byte[][] expected) = SegmentsOf(sizes, _ => receiver.LocalEndpoint);
        outgoing.Tail(1) = new PacketTail(outgoing.TailSource!.Length - 10, 460);

        Assert.Equal(2, sender.Send(outgoing));

        Assert.Equal(SlotOutcome.Malformed, outgoing.Outcome(1));
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(16, 2048), 2);
        Assert.Equal([expected[0], expected[2]], received.Select(r => r.Bytes));
    }

    /// <summary>
    /// Slot i: <see cref="HeadLength"/> numbered bytes in the slot, the rest of <c>sizes[i]</c> as a tail in one shared
    /// source slab. Also returns each datagram as it must arrive.
    /// </summary>
    private static (PacketBatch Batch, byte[][] Expected) SegmentsOf(int[] sizes, Func<int, PeerEndpoint> destination)
    {
        var source = new PacketBatch(1, 65535);
        Payloads.Fill(source.Slot(0), 7);
        var batch = new PacketBatch(sizes.Length, SlotSize) { TailSource = source.Slab };
        var expected = new byte[sizes.Length][];
        int offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            Payloads.Fill(batch.Slot(i)[..HeadLength], 100 + i);
            int tailLength = sizes[i] - HeadLength;
            batch.Length(i) = sizes[i];
            batch.Tail(i) = new PacketTail(offset, tailLength);
            batch.Endpoint(i) = destination(i);
            expected[i] = [.. batch.Slot(i)[..HeadLength], .. source.Slab.AsSpan(offset, tailLength)];
            offset += tailLength;
        }
        batch.Count = sizes.Length;
        return (batch, expected);
    }
}
