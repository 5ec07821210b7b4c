using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Allocation;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>
/// Both offload loops move thousands of packets without allocating. Each loop's <c>PumpOnce</c> is measured on its
/// own, so one loop's allocation cannot hide behind the other's.
/// </summary>
public sealed class OffloadZeroAllocationTests
{
    private const int Mss = Batches.Mtu - 40;
    private const int WarmUpRounds = 200;
    private const int RoundsPerWindow = 50;

    private static readonly PeerEndpoint s_stranger = new(Ipv4.Parse("198.18.0.66"), OffloadHost.Port);

    [Fact]
    public void SegmentingOutboundLoopAllocatesNothingInTheSteadyState()
    {
        using var pair = new HostPair();
        // Every outbound path in one round: split TSO and USO, a checksum to complete, a plain packet, no route with
        // ICMP replies (some sent, some over the limit), an expiring TTL, a malformed superpacket, and more segments
        // than one send holds.
        var ip = new PacketBuilder { Source = pair.A.Pod(2), Destination = pair.B.Pod(3), DontFragment = true };
        var round = new (byte[] Packet, OffloadInfo Offload)[]
        {
            (Superpackets.Tcp(pair.A.Pod(2), pair.B.Pod(3), ushort.MaxValue - 40, ttl: 64), Superpackets.Tso(Mss)),
            (Superpackets.WithPartialChecksum((ip with { Payload = new byte[3000] }).Udp()), Superpackets.Uso(1400)),
            (Superpackets.WithPartialChecksum((ip with { Payload = new byte[999] }).Tcp()), new() { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 20, ChecksumOffset = 16 }),
            ((ip with { Payload = new byte[100] }).Udp(), default),
            (Superpackets.Tcp(pair.A.Pod(2), Ipv4.Parse("10.244.99.1"), 4 * Mss, ttl: 64), Superpackets.Tso(Mss)),
            (Superpackets.Tcp(pair.A.Pod(2), pair.B.Pod(3), 2 * Mss, ttl: 1), Superpackets.Tso(Mss)),
            (Superpackets.Tcp(pair.A.Pod(2), pair.B.Pod(3), 2 * Mss, ttl: 64), Superpackets.Tso(0)),
            (Superpackets.Tcp(pair.A.Pod(2), pair.B.Pod(3), ushort.MaxValue - 40, ttl: 64, id: 500), Superpackets.Tso(Mss)),
        };

        long packets = Measure(
            () =>
            {
                foreach ((byte[] packet, OffloadInfo offload) in round)
                {
                    pair.A.Tun.Inject(packet, offload);
                }
            },
            pair.A.Outbound.PumpOnce,
            () =>
            {
                pair.B.Inbound.PumpOnce();
                pair.A.Tun.DiscardWritten();
                pair.B.Tun.DiscardWritten();
            },
            () => pair.A.Counters.Snapshot().TunPacketsRead);

        ForwardingSnapshot a = pair.A.Counters.Snapshot();
        Assert.True(packets >= RoundsPerWindow * 50, $"{packets} packets measured");
        Assert.True(a.IcmpRepliesGenerated > 0, "no ICMP replies");
        Assert.True(a.IcmpRepliesSuppressed > 0, "no ICMP reply over the limit");
        Assert.True(a.DroppedTtlExpired > 0, "no expired TTL");
        Assert.True(a.DroppedBadOffload > 0, "no malformed superpacket");
        Assert.Equal(pair.A.Outbound.SuperpacketsSplit, a.SuperpacketsSplit);
        // Five superpackets split per batch, whose 103 segments take two sends of 64.
        Assert.Equal(pair.A.Outbound.SuperpacketsSplit * 2, pair.A.Outbound.SendRounds * 5);
    }

    [Fact]
    public void CoalescingInboundLoopAllocatesNothingInTheSteadyState()
    {
        using var pair = new HostPair();
        var flow = new TcpFlow { Ip = new PacketBuilder { Source = pair.A.Pod(2), Destination = pair.B.Pod(3), DontFragment = true } };
        var other = flow with { SourcePort = 40001 };
        byte[] udp = (flow.Ip with { Payload = new byte[500] }).Udp();
        byte[] expiring = (flow.Ip with { Ttl = 1 }).Udp();
        // Two interleaved flows that merge, a run of UDP datagrams that merges, an expiring TTL, a lone segment, and
        // segments from a sender that is not a peer.
        var datagrams = new List<byte[]>();
        for (int i = 0; i < 40; i++)
        {
            datagrams.Add(flow.Segment(i, 40));
            datagrams.Add(other.Segment(i, 40));
        }
        datagrams.AddRange([udp, udp, udp, expiring, (flow with { SourcePort = 9 }).Segment(0, 1)]);

        long packets = Measure(
            () =>
            {
                foreach (byte[] datagram in datagrams)
                {
                    pair.B.Socket.Inject(datagram, pair.A.Underlay);
                }
                for (int i = 0; i < 3; i++)
                {
                    pair.B.Socket.Inject(datagrams[i * 2], s_stranger);
                }
            },
            pair.B.Inbound.PumpOnce,
            pair.B.Tun.DiscardWritten,
            () => pair.B.Counters.Snapshot().UdpPacketsReceived);

        Assert.True(packets >= RoundsPerWindow * datagrams.Count, $"{packets} packets measured");
        Assert.True(pair.B.Inbound.SuperpacketsBuilt >= 3L * (WarmUpRounds + RoundsPerWindow));
        ForwardingSnapshot b = pair.B.Counters.Snapshot();
        Assert.True(b.DroppedTtlExpired > 0);
        Assert.Equal(3L * packets / (datagrams.Count + 3), b.DroppedUnknownSource - 3L * WarmUpRounds);
        Assert.Equal((pair.B.Inbound.SuperpacketsBuilt, pair.B.Inbound.SegmentsCoalesced), (b.SuperpacketsBuilt, b.SegmentsCoalesced));
    }

    /// <summary>
    /// Runs rounds of feed → pump → drain, counting only what <paramref name="pump"/> allocates on this thread, in
    /// windows until one is clean (see <see cref="SteadyStateAllocation"/>), and returns how many packets the measured
    /// windows moved.
    /// </summary>
    private static long Measure(Action feed, Func<bool> pump, Action drain, Func<long> packetsSoFar)
    {
        for (int round = 0; round < WarmUpRounds; round++)
        {
            feed();
            Assert.True(pump());
            drain();
        }
        long packetsBefore = packetsSoFar();
        Action pumpOnce = () => pump();
        SteadyStateAllocation.AssertClean(() =>
            {
                long allocated = 0;
                for (int round = 0; round < RoundsPerWindow; round++)
                {
                    feed();
                    allocated += SteadyStateAllocation.BytesAllocatedBy(pumpOnce);
                    drain();
                }
                return allocated;
            },
            $"{RoundsPerWindow} batches");
        return packetsSoFar() - packetsBefore;
    }

    private sealed class HostPair : IDisposable
    {
        private readonly InMemoryUdpFabric _fabric = new();

        public HostPair()
        {
            // The reply limit as the daemon sets it, tight enough that each round's four replies meet it both ways.
            A = new OffloadHost(_fabric, "198.18.0.1", "10.244.1.0/24", superpacketCapacity: 8, segmentCapacity: 64,
                replyLimiter: new IcmpReplyLimiter(10_000, 2));
            B = new OffloadHost(_fabric, "198.18.0.2", "10.244.2.0/24", inboundCapacity: 256);
            A.RouteTo(B);
            B.RouteTo(A);
        }

        public OffloadHost A { get; }

        public OffloadHost B { get; }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }
}
