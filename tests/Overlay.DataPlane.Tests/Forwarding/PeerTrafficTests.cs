using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

/// <summary>Per-peer totals: what each host sent to and received from each peer, across route table changes.</summary>
public sealed class PeerTrafficTests : IDisposable
{
    private readonly InMemoryUdpFabric _fabric = new();
    private readonly InMemoryHost _a;
    private readonly InMemoryHost _b;
    private readonly InMemoryHost _c;

    public PeerTrafficTests()
    {
        _a = new InMemoryHost(_fabric, "198.18.0.1", "10.244.1.0/24");
        _b = new InMemoryHost(_fabric, "198.18.0.2", "10.244.2.0/24");
        _c = new InMemoryHost(_fabric, "198.18.0.3", "10.244.3.0/24");
        _a.RouteTo(_b, _c);
        _b.RouteTo(_a, _c);
        _c.RouteTo(_a, _b);
    }

    [Fact]
    public void EachPeerCountsThePacketsAndBytesSentToItAndReceivedFromIt()
    {
        byte[] toB = Udp(_a, _b, payload: 10);
        byte[] toC = Udp(_a, _c, payload: 100);
        for (int i = 0; i < 3; i++)
        {
            _a.Tun.Inject(toB);
        }
        _a.Tun.Inject(toC);

        Assert.True(_a.Outbound.PumpOnce());
        Assert.True(_b.Inbound.PumpOnce());
        Assert.True(_c.Inbound.PumpOnce());

        Assert.Equal(
            [new PeerTraffic(_b.Underlay.Address, 3, 3 * toB.Length, 0, 0), new PeerTraffic(_c.Underlay.Address, 1, toC.Length, 0, 0)],
            Sorted(_a));
        Assert.Equal(new PeerTraffic(_a.Underlay.Address, 0, 0, 3, 3 * toB.Length), Single(_b, _a));
        Assert.Equal(new PeerTraffic(_a.Underlay.Address, 0, 0, 1, toC.Length), Single(_c, _a));
        Assert.Equal(new PeerTraffic(_c.Underlay.Address, 0, 0, 0, 0), Single(_b, _c));
    }

    [Fact]
    public void A_packet_the_tun_refuses_is_not_counted_as_received_from_its_peer()
    {
        using var d = new InMemoryHost(_fabric, "198.18.0.4", "10.244.4.0/24", tunWriteCapacity: 2);
        _a.RouteTo(d);
        d.RouteTo(_a);
        byte[] small = Udp(_a, d, payload: 10);
        byte[] large = Udp(_a, d, payload: 300);
        _a.Tun.Inject(small);
        _a.Tun.Inject(large);
        _a.Tun.Inject(large);

        Assert.True(_a.Outbound.PumpOnce());
        Assert.True(d.Inbound.PumpOnce());

        // The TUN took the first two; the third was refused and is a TunWriteFailed drop, for no peer.
        Assert.Equal(new PeerTraffic(_a.Underlay.Address, 0, 0, 2, small.Length + large.Length), Single(d, _a));
        Assert.Equal(1, d.Counters.Snapshot().DroppedTunWriteFailed);
    }

    [Fact]
    public void DroppedPacketsAreNotCountedForAnyPeer()
    {
        byte[] expiring = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Ttl = 1 }.Udp();
        byte[] unrouted = new PacketBuilder { Source = _a.Pod(2), Destination = 0x0AF4_6301 }.Udp();
        _a.Tun.Inject(expiring);
        _a.Tun.Inject(unrouted);

        Assert.True(_a.Outbound.PumpOnce());

        Assert.All(_a.Counters.Peers.Snapshot(_a.Routes.Current), p => Assert.Equal(0, p.SentPackets));
        Assert.Equal(2, _a.Counters.Snapshot().TotalDropped);
    }

    [Fact]
    public void WithTheSourceCheckOffAStrangersDatagramsPassButBelongToNoPeer()
    {
        var stranger = new PeerEndpoint(Ipv4.Parse("198.18.0.66"), InMemoryHost.Port);
        _b.InboundProcessor.DropUnknownSources = false;
        Assert.True(_b.Socket.Inject(Udp(_a, _b, payload: 5), stranger));

        Assert.True(_b.Inbound.PumpOnce());

        Assert.Equal(1, _b.Tun.WrittenCount);
        Assert.All(_b.Counters.Peers.Snapshot(_b.Routes.Current), p => Assert.Equal(0, p.ReceivedPackets));
    }

    [Fact]
    public void TotalsSurviveARouteTableChangeAndForgetAPeerThatLeft()
    {
        byte[] toB = Udp(_a, _b, payload: 1);
        byte[] toC = Udp(_a, _c, payload: 2);
        _a.Tun.Inject(toB);
        _a.Tun.Inject(toC);
        Assert.True(_a.Outbound.PumpOnce());
        RouteTable before = _a.Routes.Current;
        Assert.Equal(1, Single(_a, _c).SentPackets);

        // A new table that still has B (in another position) and no longer has C.
        var d = new PeerEndpoint(Ipv4.Parse("198.18.0.0"), InMemoryHost.Port);
        _a.Routes.Publish(RouteTable.Create([new Route(Ipv4Subnet.Parse("10.244.0.0/24"), d), new Route(_b.Lease, _b.Underlay)]));
        _a.Tun.Inject(toB);
        Assert.True(_a.Outbound.PumpOnce());

        Assert.Equal(
            [new PeerTraffic(d.Address, 0, 0, 0, 0), new PeerTraffic(_b.Underlay.Address, 2, 2 * toB.Length, 0, 0)],
            Sorted(_a));
        // Reading the current table forgot C: asked about the old table, C starts from 0 again.
        Assert.Equal(new PeerTraffic(_c.Underlay.Address, 0, 0, 0, 0), _a.Counters.Peers.Snapshot(before).Single(p => p.Address == _c.Underlay.Address));
    }

    [Fact]
    public void PendingCountsFollowTheirPeerToItsIndexInANewTable()
    {
        RouteTable first = RouteTable.Create([Route("10.244.2.0/24", "198.18.0.2"), Route("10.244.3.0/24", "198.18.0.3")]);
        RouteTable second = RouteTable.Create([Route("10.244.3.0/24", "198.18.0.3"), Route("10.244.4.0/24", "198.18.0.9")]);
        Assert.True(first.TryGetPeerIndex(Ipv4.Parse("198.18.0.3"), out int before));
        Assert.True(second.TryGetPeerIndex(Ipv4.Parse("198.18.0.3"), out int after));
        Assert.NotEqual(before, after);

        var tally = new ForwardingTally();
        tally.Peers.Bind(first);
        tally.Peers.AddSent(before, 100);
        Assert.True(first.TryGetPeerIndex(Ipv4.Parse("198.18.0.2"), out int gone));
        tally.Peers.AddReceived(gone, 7);
        tally.Peers.Bind(second);
        tally.Peers.AddReceived(after, 50);
        var counters = new ForwardingCounters();
        counters.Add(tally);

        Assert.Equal(
            [new PeerTraffic(Ipv4.Parse("198.18.0.3"), 1, 100, 1, 50), new PeerTraffic(Ipv4.Parse("198.18.0.9"), 0, 0, 0, 0)],
            counters.Peers.Snapshot(second).OrderBy(p => p.Address));
        Assert.DoesNotContain(counters.Peers.Snapshot(first), p => p.Address == Ipv4.Parse("198.18.0.2") && p.ReceivedPackets != 0);
    }

    [Fact]
    public void ForgettingDepartedPeersDropsTheirTotalsAndKeepsTheOthers()
    {
        RouteTable first = RouteTable.Create([Route("10.244.2.0/24", "198.18.0.2"), Route("10.244.3.0/24", "198.18.0.3")]);
        RouteTable second = RouteTable.Create([Route("10.244.3.0/24", "198.18.0.3")]);
        Assert.True(first.TryGetPeerIndex(Ipv4.Parse("198.18.0.2"), out int two));
        Assert.True(first.TryGetPeerIndex(Ipv4.Parse("198.18.0.3"), out int three));
        var tally = new ForwardingTally();
        tally.Peers.Bind(first);
        tally.Peers.AddSent(two, 10);
        tally.Peers.AddSent(three, 20);
        var counters = new ForwardingCounters();
        counters.Add(tally);

        counters.Peers.ForgetDeparted(second);

        Assert.Equal(
            [new PeerTraffic(Ipv4.Parse("198.18.0.2"), 0, 0, 0, 0), new PeerTraffic(Ipv4.Parse("198.18.0.3"), 1, 20, 0, 0)],
            counters.Peers.Snapshot(first).OrderBy(p => p.Address));
    }

    [Fact]
    public void ThreadsAddingConcurrentlyLoseNothing()
    {
        RouteTable table = RouteTable.Create([Route("10.244.2.0/24", "198.18.0.2")]);
        var counters = new ForwardingCounters();
        const int Threads = 4;
        const int Batches = 2_000;
        Parallel.For(0, Threads, _ =>
        {
            var tally = new ForwardingTally();
            for (int batch = 0; batch < Batches; batch++)
            {
                tally.Peers.Bind(table);
                tally.Peers.AddSent(0, 10);
                tally.Peers.AddReceived(0, 20);
                counters.Add(tally);
            }
        });

        Assert.Equal(new PeerTraffic(Ipv4.Parse("198.18.0.2"), Threads * Batches, Threads * Batches * 10L, Threads * Batches, Threads * Batches * 20L),
            counters.Peers.Snapshot(table).Single());
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _c.Dispose();
    }

    private static Route Route(string subnet, string peer) => new(Ipv4Subnet.Parse(subnet), new PeerEndpoint(Ipv4.Parse(peer), InMemoryHost.Port));

    private static byte[] Udp(InMemoryHost from, InMemoryHost to, int payload) =>
        new PacketBuilder { Source = from.Pod(2), Destination = to.Pod(3), Payload = new byte[payload] }.Udp();

    private static PeerTraffic[] Sorted(InMemoryHost host) => [.. host.Counters.Peers.Snapshot(host.Routes.Current).OrderBy(p => p.Address)];

    private static PeerTraffic Single(InMemoryHost host, InMemoryHost peer) =>
        host.Counters.Peers.Snapshot(host.Routes.Current).Single(p => p.Address == peer.Underlay.Address);
}
