using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Allocation;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class ZeroAllocationTests
{
    private const int PacketsPerRound = 32;
    private const int RoundsPerWindow = 100;
    private const int StrangerDatagramsPerRound = 2;

    private static readonly PeerEndpoint s_stranger = new(Ipv4.Parse("198.18.0.66"), InMemoryHost.Port);

    [Fact]
    public void SteadyStateForwardingAllocatesNothing()
    {
        var fabric = new InMemoryUdpFabric();
        // The reply limit as the daemon sets it, tight enough that each round's unrouted packets meet it both ways.
        using var a = new InMemoryHost(fabric, "198.18.0.1", "10.244.1.0/24", batchCapacity: PacketsPerRound,
            replyLimiter: new IcmpReplyLimiter(10_000, 2));
        using var b = new InMemoryHost(fabric, "198.18.0.2", "10.244.2.0/24", batchCapacity: PacketsPerRound);
        a.RouteTo(b);
        b.RouteTo(a);
        var toB = new PacketBuilder { Source = a.Pod(2), Destination = b.Pod(3), Payload = new byte[1200] };
        // Every path in one mix: forwarded, no route with an ICMP reply or one over the limit, expired TTL, and
        // malformed; and inbound, datagrams from a sender that is not a peer.
        byte[] notIpv4 = toB.Udp();
        notIpv4[0] = 0x60;
        byte[][] mix =
        [
            toB.Udp(),
            toB.Tcp(),
            (toB with { Destination = Ipv4.Parse("10.244.99.1") }).Udp(),
            (toB with { Ttl = 1 }).Udp(),
            toB.Udp()[..10],
            notIpv4,
            toB.IcmpEcho(),
        ];

        for (int round = 0; round < 1000; round++)
        {
            Round(a, b, mix);
        }
        ForwardingSnapshot warmA = a.Counters.Snapshot();
        ForwardingSnapshot warmB = b.Counters.Snapshot();

        int windows = SteadyStateAllocation.AssertClean(() => SteadyStateAllocation.BytesAllocatedBy(() =>
            {
                for (int round = 0; round < RoundsPerWindow; round++)
                {
                    Round(a, b, mix);
                }
            }),
            $"{RoundsPerWindow * PacketsPerRound} packets");

        ForwardingSnapshot afterA = a.Counters.Snapshot();
        ForwardingSnapshot afterB = b.Counters.Snapshot();
        Assert.Equal(windows * RoundsPerWindow * PacketsPerRound, afterA.TunPacketsRead - warmA.TunPacketsRead);
        Assert.True(afterA.IcmpRepliesGenerated > warmA.IcmpRepliesGenerated);
        Assert.True(afterA.IcmpRepliesSuppressed > 0);
        Assert.True(afterA.DroppedTtlExpired > warmA.DroppedTtlExpired);
        Assert.True(afterB.TunPacketsWritten - warmB.TunPacketsWritten >= windows * RoundsPerWindow * PacketsPerRound * 3 / mix.Length);
        Assert.Equal(windows * RoundsPerWindow * StrangerDatagramsPerRound, afterB.DroppedUnknownSource - warmB.DroppedUnknownSource);
    }

    private static void Round(InMemoryHost a, InMemoryHost b, byte[][] mix)
    {
        for (int i = 0; i < PacketsPerRound; i++)
        {
            a.Tun.Inject(mix[i % mix.Length]);
        }
        a.Outbound.PumpOnce();
        for (int i = 0; i < StrangerDatagramsPerRound; i++)
        {
            b.Socket.Inject(mix[0], s_stranger);
        }
        b.Inbound.PumpOnce();
        a.Tun.DiscardWritten();
        b.Tun.DiscardWritten();
    }
}
