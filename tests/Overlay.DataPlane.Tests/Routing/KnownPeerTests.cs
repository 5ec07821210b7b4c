using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Tests.Routing;

public sealed class KnownPeerTests
{
    private static readonly PeerEndpoint s_peerA = new(Ipv4.Parse("198.18.0.1"), 8285);
    private static readonly PeerEndpoint s_peerB = new(Ipv4.Parse("198.18.0.2"), 8285);
    private static readonly PeerEndpoint s_peerC = new(Ipv4.Parse("198.18.1.3"), 9000);

    [Fact]
    public void EmptyTableKnowsNobody()
    {
        Assert.Equal(0, RouteTable.Empty.PeerCount);
        Assert.False(RouteTable.Empty.IsKnownPeer(s_peerA.Address));
        Assert.False(RouteTable.Empty.IsKnownPeer(0));
        Assert.False(RouteTable.Empty.IsKnownPeer(uint.MaxValue));
    }

    [Fact]
    public void FlannelStyleTableKnowsEachNextHopAndNoNeighbour()
    {
        RouteTable table = RouteTable.Create(
        [
            new Route(Ipv4Subnet.Parse("10.244.1.0/24"), s_peerA),
            new Route(Ipv4Subnet.Parse("10.244.2.0/24"), s_peerB),
            new Route(Ipv4Subnet.Parse("10.244.3.0/24"), s_peerC),
        ]);

        Assert.True(table.UsesDenseIndex);
        AssertKnowsExactly(table, s_peerA, s_peerB, s_peerC);
    }

    [Fact]
    public void MixedLengthTableKnowsEachNextHopAndNoNeighbour()
    {
        RouteTable table = RouteTable.Create(
        [
            new Route(Ipv4Subnet.Parse("10.244.0.0/16"), s_peerA),
            new Route(Ipv4Subnet.Parse("10.244.2.0/24"), s_peerB),
            new Route(Ipv4Subnet.Parse("10.244.3.128/25"), s_peerC),
        ]);

        Assert.False(table.UsesDenseIndex);
        AssertKnowsExactly(table, s_peerA, s_peerB, s_peerC);
    }

    [Fact]
    public void SeveralLeasesBehindOneHostCountAsOnePeer()
    {
        RouteTable table = RouteTable.Create(
        [
            new Route(Ipv4Subnet.Parse("10.244.1.0/24"), s_peerA),
            new Route(Ipv4Subnet.Parse("10.244.2.0/24"), s_peerA),
            new Route(Ipv4Subnet.Parse("10.244.3.0/24"), s_peerA with { Port = 9999 }),
            new Route(Ipv4Subnet.Parse("10.244.4.0/24"), s_peerB),
        ]);

        Assert.Equal(4, table.Count);
        Assert.Equal(2, table.PeerCount);
        AssertKnowsExactly(table, s_peerA, s_peerB);
    }

    [Fact]
    public void ANextHopReplacedByALaterRouteIsNoLongerKnown()
    {
        RouteTable table = RouteTable.Create(
        [
            new Route(Ipv4Subnet.Parse("10.244.1.0/24"), s_peerA),
            new Route(Ipv4Subnet.Parse("10.244.2.0/24"), s_peerB),
            new Route(Ipv4Subnet.Parse("10.244.1.0/24"), s_peerC),
        ]);

        AssertKnowsExactly(table, s_peerB, s_peerC);
    }

    [Fact]
    public void AddressZeroIsKnownOnlyWhenANextHopNamesIt()
    {
        RouteTable withZero = RouteTable.Create(
        [
            new Route(Ipv4Subnet.Parse("10.244.1.0/24"), new PeerEndpoint(0, 8285)),
            new Route(Ipv4Subnet.Parse("10.244.2.0/24"), s_peerB),
        ]);
        RouteTable withoutZero = RouteTable.Create([new Route(Ipv4Subnet.Parse("10.244.2.0/24"), s_peerB)]);

        Assert.True(withZero.IsKnownPeer(0));
        Assert.True(withZero.IsKnownPeer(s_peerB.Address));
        Assert.Equal(2, withZero.PeerCount);
        Assert.False(withoutZero.IsKnownPeer(0));
    }

    [Fact]
    public void TenThousandPeersAreAllKnownAndRandomAddressesAgreeWithAReferenceSet()
    {
        var random = new Random(8285);
        var routes = new Route[10_000];
        var reference = new HashSet<uint>();
        for (int i = 0; i < routes.Length; i++)
        {
            // Clustered like real underlays (one /16 of hosts) plus a scattered tail.
            uint address = i % 4 == 0 ? (uint)random.NextInt64(1, 1L << 32) : Ipv4.Parse("198.18.0.0") + (uint)random.Next(1, 65536);
            routes[i] = new Route(new Ipv4Subnet(Ipv4.Parse("10.0.0.0") + ((uint)i << 8), 24), new PeerEndpoint(address, 8285));
            reference.Add(address);
        }

        RouteTable table = RouteTable.Create(routes);

        Assert.Equal(reference.Count, table.PeerCount);
        foreach (uint address in reference)
        {
            Assert.True(table.IsKnownPeer(address));
        }
        int strangers = 0;
        for (int i = 0; i < 100_000; i++)
        {
            uint address = i % 2 == 0 ? (uint)random.NextInt64(0, 1L << 32) : Ipv4.Parse("198.18.0.0") + (uint)random.Next(65536);
            bool known = table.IsKnownPeer(address);
            Assert.Equal(reference.Contains(address), known);
            strangers += known ? 0 : 1;
        }
        Assert.True(strangers > 10_000, $"only {strangers} of the probes were strangers: the probe mix no longer tests misses");
        AssertPeerIndexesAreDenseAndAgreeWithLookups(table);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PeerIndexesAreDenseAndLookupsReturnTheirNextHopsIndex(bool mixedLengths)
    {
        var routes = new List<Route>();
        for (uint i = 0; i < 300; i++)
        {
            // Several leases per host, and 0.0.0.0 as one host, so indexes are shared and the zero case is covered.
            uint host = i % 7 == 0 ? 0 : Ipv4.Parse("198.18.0.0") + (i % 40);
            int length = mixedLengths && i % 3 == 0 ? 26 : 24;
            routes.Add(new Route(new Ipv4Subnet(Ipv4.Parse("10.0.0.0") + (i << 8), length), new PeerEndpoint(host, 8285)));
        }

        RouteTable table = RouteTable.Create(routes);

        Assert.Equal(!mixedLengths, table.UsesDenseIndex);
        AssertPeerIndexesAreDenseAndAgreeWithLookups(table);
        Assert.False(table.TryGetPeerIndex(Ipv4.Parse("198.18.1.1"), out int missing));
        Assert.Equal(-1, missing);
        Assert.False(table.TryLookup(Ipv4.Parse("10.255.0.1"), out _, out int unrouted));
        Assert.Equal(-1, unrouted);
    }

    private static void AssertPeerIndexesAreDenseAndAgreeWithLookups(RouteTable table)
    {
        var seen = new HashSet<uint>();
        for (int i = 0; i < table.PeerCount; i++)
        {
            uint address = table.PeerAddress(i);
            Assert.True(seen.Add(address), $"peer index {i} repeats {Ipv4.Format(address)}");
            Assert.True(table.TryGetPeerIndex(address, out int index));
            Assert.Equal(i, index);
        }
        foreach (Route route in table.Routes)
        {
            Assert.True(table.TryLookup(route.Subnet.Network, out PeerEndpoint hop, out int peerIndex));
            Assert.Equal(hop.Address, table.PeerAddress(peerIndex));
        }
    }

    private static void AssertKnowsExactly(RouteTable table, params PeerEndpoint[] peers)
    {
        var known = new HashSet<uint>();
        foreach (PeerEndpoint peer in peers)
        {
            Assert.True(table.IsKnownPeer(peer.Address), $"{peer} should be known");
            known.Add(peer.Address);
        }
        Assert.Equal(known.Count, table.PeerCount);
        foreach (PeerEndpoint peer in peers)
        {
            foreach (uint neighbour in (uint[])[peer.Address - 1, peer.Address + 1, peer.Address ^ 0x0100_0000])
            {
                Assert.Equal(known.Contains(neighbour), table.IsKnownPeer(neighbour));
            }
        }
        // Route destinations are pods, never peers.
        foreach (Route route in table.Routes)
        {
            Assert.False(table.IsKnownPeer(route.Subnet.Network + 1));
        }
        Assert.False(table.IsKnownPeer(0));
        Assert.False(table.IsKnownPeer(uint.MaxValue));
    }
}
