using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Tests.Routing;

public sealed class RouteTableTests
{
    private static readonly PeerEndpoint s_peerA = new(Ipv4.Parse("198.18.0.1"), 8285);
    private static readonly PeerEndpoint s_peerB = new(Ipv4.Parse("198.18.0.2"), 8285);
    private static readonly PeerEndpoint s_peerC = new(Ipv4.Parse("198.18.0.3"), 9000);

    [Fact]
    public void EmptyTableFindsNothing()
    {
        Assert.Equal(0, RouteTable.Empty.Count);
        Assert.Empty(RouteTable.Empty.Routes);
        Assert.False(RouteTable.Empty.TryLookup(Ipv4.Parse("10.244.1.1"), out PeerEndpoint hop));
        Assert.Equal(default, hop);
    }

    [Fact]
    public void FlannelStyleTableRoutesEachLeaseAndNothingBetween()
    {
        RouteTable table = RouteTable.Create(
        [
            Route("10.244.1.0/24", s_peerA),
            Route("10.244.7.0/24", s_peerB),
            Route("10.244.255.0/24", s_peerC),
        ]);

        Assert.True(table.UsesDenseIndex);
        AssertHop(table, "10.244.1.0", s_peerA);
        AssertHop(table, "10.244.1.255", s_peerA);
        AssertHop(table, "10.244.7.42", s_peerB);
        AssertHop(table, "10.244.255.255", s_peerC);
        AssertNoRoute(table, "10.244.0.255");
        AssertNoRoute(table, "10.244.2.0");
        AssertNoRoute(table, "10.245.0.0");
        AssertNoRoute(table, "10.243.255.255");
        AssertNoRoute(table, "0.0.0.0");
        AssertNoRoute(table, "255.255.255.255");
    }

    [Fact]
    public void SameSubnetTwiceKeepsTheLaterNextHop()
    {
        RouteTable table = RouteTable.Create(
        [
            Route("10.244.1.0/24", s_peerA),
            Route("10.244.2.0/24", s_peerB),
            Route("10.244.1.0/24", s_peerC),
        ]);

        Assert.Equal(2, table.Count);
        AssertHop(table, "10.244.1.9", s_peerC);
        Assert.Equal(s_peerC, table.Routes[0].NextHop);
    }

    [Fact]
    public void RoutesAreSortedByNetworkThenPrefixLength()
    {
        RouteTable table = RouteTable.Create(
        [
            Route("10.244.9.0/24", s_peerA),
            Route("10.0.0.0/8", s_peerB),
            Route("10.244.0.0/16", s_peerC),
            Route("10.244.0.0/24", s_peerA),
            Route("10.244.0.0/20", s_peerB),
        ]);

        Assert.Equal(
            ["10.0.0.0/8", "10.244.0.0/16", "10.244.0.0/20", "10.244.0.0/24", "10.244.9.0/24"],
            table.Routes.Select(r => r.Subnet.ToString()));
    }

    [Fact]
    public void MixedLengthsPickTheLongestMatch()
    {
        RouteTable table = RouteTable.Create(
        [
            Route("0.0.0.0/0", s_peerA),
            Route("10.244.0.0/16", s_peerB),
            Route("10.244.3.0/24", s_peerC),
            Route("10.244.3.77/32", s_peerA),
        ]);

        Assert.False(table.UsesDenseIndex);
        AssertHop(table, "8.8.8.8", s_peerA);
        AssertHop(table, "10.244.9.1", s_peerB);
        AssertHop(table, "10.244.3.1", s_peerC);
        AssertHop(table, "10.244.3.77", s_peerA);
    }

    [Fact]
    public void DefaultRouteAloneCoversEveryAddress()
    {
        RouteTable table = RouteTable.Create([Route("0.0.0.0/0", s_peerB)]);

        AssertHop(table, "0.0.0.0", s_peerB);
        AssertHop(table, "10.244.1.1", s_peerB);
        AssertHop(table, "255.255.255.255", s_peerB);
    }

    [Fact]
    public void HostRoutesAtTheEdgesOfTheAddressSpace()
    {
        RouteTable table = RouteTable.Create([Route("0.0.0.0/32", s_peerA), Route("255.255.255.255/32", s_peerB)]);

        AssertHop(table, "0.0.0.0", s_peerA);
        AssertHop(table, "255.255.255.255", s_peerB);
        AssertNoRoute(table, "0.0.0.1");
        AssertNoRoute(table, "255.255.255.254");
    }

    [Fact]
    public void SparseSingleLengthTableStillFindsEveryRoute()
    {
        // /24s spread over the whole space: far too many slots for a dense array, so the hashed index serves it.
        var routes = new List<Route>();
        for (uint i = 0; i < 200; i++)
        {
            routes.Add(new Route(new Ipv4Subnet(i * 0x0133_7100u, 24), new PeerEndpoint(i, 8285)));
        }
        var networks = routes.Select(r => r.Subnet.Network).ToHashSet();

        RouteTable table = RouteTable.Create(routes);

        Assert.False(table.UsesDenseIndex);
        foreach (Route route in routes)
        {
            Assert.True(table.TryLookup(route.Subnet.Network | 0x42, out PeerEndpoint hop));
            Assert.Equal(route.NextHop, hop);
            uint neighbour = route.Subnet.Network + 0x100;
            Assert.Equal(networks.Contains(neighbour), table.TryLookup(neighbour, out _));
        }
    }

    [Theory]
    [InlineData(11, 1, 24, 24)]
    [InlineData(12, 10, 24, 24)]
    [InlineData(13, 1000, 24, 24)]
    [InlineData(14, 10000, 24, 24)]
    [InlineData(15, 5000, 26, 26)]
    [InlineData(16, 3000, 20, 20)]
    [InlineData(17, 2000, 32, 32)]
    [InlineData(18, 1, 0, 32)]
    [InlineData(19, 50, 0, 32)]
    [InlineData(20, 2000, 8, 28)]
    [InlineData(21, 10000, 16, 24)]
    [InlineData(22, 10000, 0, 32)]
    public void RandomTablesAgreeWithALinearScanModel(int seed, int routeCount, int minLength, int maxLength)
    {
        var random = new Random(seed);
        // Half the tables stay inside one /16 overlay, as flannel's do; the rest spread over the whole space.
        bool clustered = seed % 2 == 0;
        uint overlay = Ipv4.Parse("10.244.0.0");
        var routes = new List<Route>(routeCount);
        for (int i = 0; i < routeCount; i++)
        {
            int length = random.Next(minLength, maxLength + 1);
            uint address = clustered && length >= 16 ? overlay | (uint)random.Next(0, 0x10000) : (uint)random.NextInt64(0, 1L << 32);
            var hop = new PeerEndpoint((uint)random.NextInt64(0, 1L << 32), (ushort)random.Next(1, 65536));
            routes.Add(new Route(new Ipv4Subnet(address, length), hop));
        }
        // Some exact duplicates with a new next hop, to exercise last-one-wins.
        for (int i = 0; i < routeCount / 10; i++)
        {
            Route original = routes[random.Next(routes.Count)];
            routes.Add(original with { NextHop = new PeerEndpoint((uint)random.Next(), 1) });
        }
        var model = new LinearScanModel(routes);

        RouteTable table = RouteTable.Create(routes);

        Assert.Equal(model.Count, table.Count);
        for (int i = 0; i < 20000; i++)
        {
            uint destination = random.Next(3) switch
            {
                // Inside or next to a known route, where mistakes hide; otherwise anywhere.
                0 => routes[random.Next(routes.Count)].Subnet.Network + (uint)random.Next(0, 512),
                1 => routes[random.Next(routes.Count)].Subnet.Network - 1,
                _ => (uint)random.NextInt64(0, 1L << 32),
            };
            bool expectedFound = model.TryLookup(destination, out PeerEndpoint expectedHop);

            bool found = table.TryLookup(destination, out PeerEndpoint hop);

            Assert.Equal(expectedFound, found);
            Assert.Equal(expectedHop, hop);
        }
    }

    [Fact]
    public void ConcurrentReadersSeeTheSameAnswers()
    {
        var routes = new List<Route>();
        for (uint i = 0; i < 256; i++)
        {
            routes.Add(new Route(new Ipv4Subnet(Ipv4.Parse("10.244.0.0") + (i << 8), 24), new PeerEndpoint(i + 1, 8285)));
        }
        RouteTable table = RouteTable.Create(routes);
        int mismatches = 0;

        Parallel.For(0, 4, worker =>
        {
            for (uint i = 0; i < 100_000; i++)
            {
                uint destination = Ipv4.Parse("10.244.0.0") + ((i * 2654435761u) & 0xFFFF);
                if (!table.TryLookup(destination, out PeerEndpoint hop) || hop.Address != ((destination >> 8) & 0xFF) + 1)
                {
                    Interlocked.Increment(ref mismatches);
                }
            }
        });

        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void CreateRejectsNull() => Assert.Throws<ArgumentNullException>(() => RouteTable.Create(null!));

    private static Route Route(string subnet, PeerEndpoint hop) => new(Ipv4Subnet.Parse(subnet), hop);

    private static void AssertHop(RouteTable table, string destination, PeerEndpoint expected)
    {
        Assert.True(table.TryLookup(Ipv4.Parse(destination), out PeerEndpoint hop), destination);
        Assert.Equal(expected, hop);
    }

    private static void AssertNoRoute(RouteTable table, string destination) =>
        Assert.False(table.TryLookup(Ipv4.Parse(destination), out _), destination);

    /// <summary>
    /// The obvious longest-prefix match: scan every route in input order, keep the longest containing subnet, later
    /// duplicates win. Flattened into arrays only so that tens of thousands of lookups over 10,000 routes stay quick.
    /// </summary>
    private sealed class LinearScanModel
    {
        private readonly uint[] _networks;
        private readonly uint[] _masks;
        private readonly int[] _lengths;
        private readonly PeerEndpoint[] _hops;

        public LinearScanModel(List<Route> routes)
        {
            _networks = [.. routes.Select(r => r.Subnet.Network)];
            _masks = [.. routes.Select(r => r.Subnet.Mask)];
            _lengths = [.. routes.Select(r => r.Subnet.PrefixLength)];
            _hops = [.. routes.Select(r => r.NextHop)];
            Count = routes.Select(r => r.Subnet).Distinct().Count();
        }

        public int Count { get; }

        public bool TryLookup(uint destination, out PeerEndpoint nextHop)
        {
            int best = -1;
            for (int i = 0; i < _networks.Length; i++)
            {
                if ((destination & _masks[i]) == _networks[i] && (best < 0 || _lengths[i] >= _lengths[best]))
                {
                    best = i;
                }
            }
            nextHop = best < 0 ? default : _hops[best];
            return best >= 0;
        }
    }
}
