using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

public sealed class OffloadLoopTests : IDisposable
{
    private const int Mss = Batches.Mtu - 40;

    private readonly InMemoryUdpFabric _fabric = new();
    private readonly OffloadHost _a;
    private readonly OffloadHost _b;

    public OffloadLoopTests()
    {
        _a = new OffloadHost(_fabric, "198.18.0.1", "10.244.1.0/24", segmentCapacity: 64);
        _b = new OffloadHost(_fabric, "198.18.0.2", "10.244.2.0/24", tunWriteCapacity: 1);
        _a.RouteTo(_b);
        _b.RouteTo(_a);
    }

    [Fact]
    public void OutboundSendsEachSegmentAsOneDatagramOneHopOlder()
    {
        byte[] superpacket = Superpackets.Tcp(_a.Pod(2), _b.Pod(3), ushort.MaxValue - 40, ttl: 64);
        List<byte[]> segments = Batches.Segment(superpacket, Superpackets.Tso(Mss));
        Assert.True(_a.Tun.Inject(superpacket, Superpackets.Tso(Mss)));

        Assert.True(_a.Outbound.PumpOnce());

        Assert.Equal(segments.Select(OneHopOlder), TakeAll(_b));
        Assert.Equal((1L, 46L, 1L), (_a.Outbound.SuperpacketsSplit, _a.Outbound.SegmentsProduced, _a.Outbound.SendRounds));
        ForwardingSnapshot counts = _a.Counters.Snapshot();
        Assert.Equal((1L, 46L, 0L, 0L), (counts.SuperpacketsSplit, counts.SegmentsProduced, counts.SuperpacketsBuilt, counts.SegmentsCoalesced));
        long bytes = segments.Sum(s => (long)s.Length);
        Assert.Equal((46L, bytes, 46L, bytes), (counts.TunPacketsRead, counts.TunBytesRead, counts.UdpPacketsSent, counts.UdpBytesSent));
        Assert.Equal(0, counts.TotalDropped);
    }

    [Fact]
    public void SegmentsBeyondOneSendGoOutInSeveralSendsInOrder()
    {
        var expected = new List<byte[]>();
        for (int i = 0; i < 4; i++)
        {
            byte[] superpacket = Superpackets.Tcp(_a.Pod(2), _b.Pod(3), ushort.MaxValue - 40 - i, ttl: 64, id: (ushort)(i * 100));
            expected.AddRange(Batches.Segment(superpacket, Superpackets.Tso(Mss)).Select(OneHopOlder));
            Assert.True(_a.Tun.Inject(superpacket, Superpackets.Tso(Mss)));
        }

        Assert.True(_a.Outbound.PumpOnce());

        Assert.Equal(184, expected.Count);
        Assert.Equal(expected, TakeAll(_b));
        Assert.Equal((4L, 184L, 4L), (_a.Outbound.SuperpacketsSplit, _a.Outbound.SegmentsProduced, _a.Outbound.SendRounds));
        Assert.Equal(184, _a.Counters.Snapshot().UdpPacketsSent);
    }

    [Fact]
    public void SegmentsWithoutARouteAreEachAnsweredWithAnIcmpReplyIntoTheTun()
    {
        byte[] superpacket = Superpackets.Tcp(_a.Pod(2), Ipv4.Parse("10.244.99.9"), 3 * Mss, ttl: 64);
        _a.Tun.Inject(superpacket, Superpackets.Tso(Mss));

        _a.Outbound.PumpOnce();

        for (int i = 0; i < 3; i++)
        {
            byte[]? reply = _a.Tun.TryTakeWritten(out OffloadInfo offload);
            Assert.NotNull(reply);
            Assert.Equal(OffloadInfo.None, offload);
            Assert.Equal(Ipv4Header.ProtocolIcmp, Ipv4Header.Protocol(reply));
            Assert.Equal(_a.Pod(2), Ipv4Header.Destination(reply));
        }
        ForwardingSnapshot counts = _a.Counters.Snapshot();
        Assert.Equal((3L, 3L, 3L, 0L), (counts.DroppedNoRoute, counts.IcmpRepliesGenerated, counts.TunPacketsWritten, counts.UdpPacketsSent));
    }

    [Fact]
    public void MalformedSuperpacketCountsAsOnePacketReadAndDroppedAndTheNextStillGoes()
    {
        byte[] superpacket = Superpackets.Tcp(_a.Pod(2), _b.Pod(3), 2 * Mss, ttl: 64);
        byte[] plain = (new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Payload = [1, 2, 3] }).Udp();
        _a.Tun.Inject(superpacket, Superpackets.Tso(0));
        _a.Tun.Inject(plain);

        _a.Outbound.PumpOnce();

        Assert.Equal([OneHopOlder(plain)], TakeAll(_b));
        ForwardingSnapshot counts = _a.Counters.Snapshot();
        Assert.Equal((2L, superpacket.Length + (long)plain.Length), (counts.TunPacketsRead, counts.TunBytesRead));
        Assert.Equal((1L, 1L), (counts.DroppedBadOffload, counts.TotalDropped));
        Assert.Equal(0, _a.Outbound.SuperpacketsSplit);
    }

    [Fact]
    public void InboundWritesOneFlowsSegmentsAsOneSuperpacket()
    {
        var flow = new TcpFlow { Ip = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), DontFragment = true, Ttl = 64 } };
        byte[][] segments = flow.Segments(44);
        foreach (byte[] segment in segments)
        {
            Assert.True(_b.Socket.Inject(segment, _a.Underlay));
        }

        Assert.True(_b.Inbound.PumpOnce());

        byte[]? superpacket = _b.Tun.TryTakeWritten(out OffloadInfo offload);
        Assert.NotNull(superpacket);
        Assert.Null(_b.Tun.TryTakeWritten(out _));
        Assert.Equal(Superpackets.Tso(1420, headerLength: 52), offload);
        byte[][] expected = (flow with { Ip = flow.Ip with { Ttl = 63 } }).Segments(44);
        Assert.Equal(expected, Batches.Segment(superpacket, offload));
        Assert.Equal((1L, 44L), (_b.Inbound.SuperpacketsBuilt, _b.Inbound.SegmentsCoalesced));
        ForwardingSnapshot counts = _b.Counters.Snapshot();
        Assert.Equal((0L, 0L, 1L, 44L), (counts.SuperpacketsSplit, counts.SegmentsProduced, counts.SuperpacketsBuilt, counts.SegmentsCoalesced));
        long bytes = segments.Sum(s => (long)s.Length);
        Assert.Equal((44L, bytes, 44L, bytes), (counts.UdpPacketsReceived, counts.UdpBytesReceived, counts.TunPacketsWritten, counts.TunBytesWritten));
        Assert.Equal(0, counts.TotalDropped);
    }

    [Fact]
    public void SegmentsFromAStrangerAreDroppedBeforeTheyCanMergeAndThePeersStillMerge()
    {
        var flow = new TcpFlow { Ip = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), DontFragment = true, Ttl = 64 } };
        var stranger = new PeerEndpoint(Ipv4.Parse("198.18.0.66"), OffloadHost.Port);
        byte[][] segments = flow.Segments(6);
        for (int i = 0; i < segments.Length; i++)
        {
            // The stranger replays the peer's own segments, interleaved: none may join the peer's merge.
            Assert.True(_b.Socket.Inject(segments[i], _a.Underlay));
            Assert.True(_b.Socket.Inject(segments[i], stranger));
        }

        Assert.True(_b.Inbound.PumpOnce());

        byte[]? superpacket = _b.Tun.TryTakeWritten(out OffloadInfo offload);
        Assert.NotNull(superpacket);
        Assert.Null(_b.Tun.TryTakeWritten(out _));
        Assert.Equal((flow with { Ip = flow.Ip with { Ttl = 63 } }).Segments(6), Batches.Segment(superpacket, offload));
        ForwardingSnapshot counts = _b.Counters.Snapshot();
        Assert.Equal((12L, 6L, 6L, 6L), (counts.UdpPacketsReceived, counts.TunPacketsWritten, counts.DroppedUnknownSource, counts.TotalDropped));
        Assert.Equal((1L, 6L), (counts.SuperpacketsBuilt, counts.SegmentsCoalesced));
    }

    [Fact]
    public void SuperpacketTheTunRefusesCountsEveryPacketInItAsDropped()
    {
        var first = new TcpFlow { Ip = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3) }, SourcePort = 1 };
        var second = first with { SourcePort = 2 };
        foreach (byte[] segment in first.Segments(3).Concat(second.Segments(5)))
        {
            _b.Socket.Inject(segment, _a.Underlay);
        }

        _b.Inbound.PumpOnce();

        Assert.Equal(1, _b.Tun.WrittenCount);
        ForwardingSnapshot counts = _b.Counters.Snapshot();
        Assert.Equal((8L, 3L, 5L), (counts.UdpPacketsReceived, counts.TunPacketsWritten, counts.DroppedTunWriteFailed));
        Assert.Equal(2, _b.Inbound.SuperpacketsBuilt);
        // Only the merge the TUN took counts as received from the peer: its three packets, each with its own length.
        PeerTraffic fromA = Assert.Single(_b.Counters.Peers.Snapshot(_b.Routes.Current), p => p.Address == _a.Underlay.Address);
        Assert.Equal((3L, first.Segments(3).Sum(s => (long)s.Length)), (fromA.ReceivedPackets, fromA.ReceivedBytes));
    }

    [Fact]
    public void SuperpacketCrossesBothHostsAndArrivesAsOneSuperpacketTwoHopsOlder()
    {
        byte[] payload = Superpackets.Pattern(ushort.MaxValue - 40);
        byte[] superpacket = Superpackets.Tcp(_a.Pod(2), _b.Pod(3), payload.Length, ttl: 64, payload: payload);
        _a.Tun.Inject(superpacket, Superpackets.Tso(Mss));

        _a.Outbound.PumpOnce();
        _b.Inbound.PumpOnce();

        byte[]? delivered = _b.Tun.TryTakeWritten(out OffloadInfo offload);
        Assert.NotNull(delivered);
        Assert.Equal(Superpackets.Tso(Mss), offload);
        Assert.Equal(superpacket.Length, delivered.Length);
        Assert.Equal(62, Ipv4Header.Ttl(delivered));
        Assert.Equal(payload, delivered[40..]);
        byte[] twoHopsOlder = Superpackets.Tcp(_a.Pod(2), _b.Pod(3), payload.Length, ttl: 62, payload: payload);
        Assert.Equal(Batches.Segment(twoHopsOlder, Superpackets.Tso(Mss)), Batches.Segment(delivered, offload));
    }

    [Fact]
    public void RunReturnsOnceTheSourcesShutDown()
    {
        _a.Tun.Dispose();
        _a.Socket.Dispose();

        var outbound = new Thread(_a.Outbound.Run) { IsBackground = true };
        var inbound = new Thread(_a.Inbound.Run) { IsBackground = true };
        outbound.Start();
        inbound.Start();

        Assert.True(outbound.Join(TimeSpan.FromSeconds(10)));
        Assert.True(inbound.Join(TimeSpan.FromSeconds(10)));
        Assert.False(_a.Outbound.PumpOnce());
        Assert.False(_a.Inbound.PumpOnce());
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static byte[] OneHopOlder(byte[] packet)
    {
        byte[] older = (byte[])packet.Clone();
        older[8]--;
        Ipv4Header.UpdateChecksum(older);
        return older;
    }

    private static List<byte[]> TakeAll(OffloadHost host)
    {
        var taken = new List<byte[]>();
        for (int i = 0; i < 10_000 && host.Socket.TryTake(out _) is { } datagram; i++)
        {
            taken.Add(datagram);
        }
        return taken;
    }
}
