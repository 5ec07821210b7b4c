using System.Runtime.InteropServices;

namespace Overlay.DataPlane.Routing;

// Construction and lookup. flannel gives every lease the same prefix length, so the common table is one
// DensePrefixIndex: a computed array index per lookup. Anything else (mixed lengths, or one length spread too thin
// for an array) becomes one HashedPrefixIndex per length, probed longest first.
public sealed partial class RouteTable
{
    // A dense array may waste slots for gaps between networks; up to this many slots it is always worth it, beyond
    // that only while at least a quarter of the slots hold a route. 65,536 slots of 16 bytes is 1 MiB.
    private const long DenseSlotsAlwaysAllowed = 1 << 16;
    private const int DenseSlotsPerRouteAllowed = 4;

    private readonly Route[] _routes;
    private readonly DensePrefixIndex? _dense;
    private readonly HashedPrefixIndex[] _byLengthLongestFirst;
    private readonly PeerAddressSet _peers;

    private RouteTable(Route[] routes, PeerAddressSet peers, DensePrefixIndex? dense, HashedPrefixIndex[] byLengthLongestFirst)
    {
        _routes = routes;
        _peers = peers;
        _dense = dense;
        _byLengthLongestFirst = byLengthLongestFirst;
    }

    /// <summary>
    /// Builds a table. When two routes name the same subnet, the later one wins. Overlapping subnets of different
    /// lengths are allowed; lookups pick the longest match. The next hops of the routes kept are the table's known
    /// peers (<see cref="IsKnownPeer"/>).
    /// </summary>
    public static RouteTable Create(IEnumerable<Route> routes)
    {
        ArgumentNullException.ThrowIfNull(routes);
        var latest = new Dictionary<Ipv4Subnet, PeerEndpoint>();
        foreach (Route route in routes)
        {
            latest[route.Subnet] = route.NextHop;
        }
        var sorted = new Route[latest.Count];
        int n = 0;
        foreach (KeyValuePair<Ipv4Subnet, PeerEndpoint> entry in latest)
        {
            sorted[n++] = new Route(entry.Key, entry.Value);
        }
        Array.Sort(sorted, static (a, b) =>
            a.Subnet.Network != b.Subnet.Network
                ? a.Subnet.Network.CompareTo(b.Subnet.Network)
                : a.Subnet.PrefixLength.CompareTo(b.Subnet.PrefixLength));
        return sorted.Length == 0 ? new RouteTable(sorted, new PeerAddressSet(sorted), null, []) : BuildIndexes(sorted);
    }

    /// <summary>
    /// Finds the next hop for <paramref name="destination"/> (host byte order) by longest-prefix match.
    /// Lock-free and allocation-free; safe from any number of threads.
    /// </summary>
    public bool TryLookup(uint destination, out PeerEndpoint nextHop) => TryLookup(destination, out nextHop, out _);

    /// <summary>
    /// <see cref="TryLookup(uint, out PeerEndpoint)"/> that also gives the next hop's peer index in this table
    /// (0..<see cref="PeerCount"/>-1, -1 when no route matches), for per-peer counting without a second lookup.
    /// </summary>
    public bool TryLookup(uint destination, out PeerEndpoint nextHop, out int peerIndex)
    {
        if (_dense is { } dense)
        {
            return dense.TryFind(destination, out nextHop, out peerIndex);
        }
        foreach (HashedPrefixIndex index in _byLengthLongestFirst)
        {
            if (index.TryFind(destination, out nextHop, out peerIndex))
            {
                return true;
            }
        }
        nextHop = default;
        peerIndex = -1;
        return false;
    }

    /// <summary>
    /// True when <paramref name="address"/> (host byte order) is the public address of a next hop in this table, on
    /// any port: the inbound source check. Lock-free and allocation-free; safe from any number of threads.
    /// </summary>
    public bool IsKnownPeer(uint address) => _peers.Contains(address);

    /// <summary>
    /// Finds the peer index of a next hop's public address (host byte order), for per-peer counting of received
    /// datagrams: false, with index -1, when <paramref name="address"/> is not a known peer. Allocation-free.
    /// </summary>
    public bool TryGetPeerIndex(uint address, out int peerIndex) => _peers.TryGetIndex(address, out peerIndex);

    /// <summary>The public address (host byte order) of the peer with index <paramref name="peerIndex"/>.</summary>
    /// <exception cref="IndexOutOfRangeException"><paramref name="peerIndex"/> is not in 0..<see cref="PeerCount"/>-1.</exception>
    public uint PeerAddress(int peerIndex) => _peers.AddressAt(peerIndex);

    /// <summary>True when lookups go through the computed array index rather than the per-length hash tables.</summary>
    internal bool UsesDenseIndex => _dense is not null;

    private static RouteTable BuildIndexes(Route[] sorted)
    {
        Span<int> routesPerLength = stackalloc int[33];
        foreach (Route route in sorted)
        {
            routesPerLength[route.Subnet.PrefixLength]++;
        }

        var peers = new PeerAddressSet(sorted);
        int singleLength = sorted[0].Subnet.PrefixLength;
        if (routesPerLength[singleLength] == sorted.Length)
        {
            // Sorted by network, so the first and last routes bound the range.
            long slots = DensePrefixIndex.SlotsNeeded(singleLength, sorted[0].Subnet.Network, sorted[^1].Subnet.Network);
            if (slots <= DenseSlotsAlwaysAllowed || slots <= (long)sorted.Length * DenseSlotsPerRouteAllowed)
            {
                return new RouteTable(sorted, peers, new DensePrefixIndex(singleLength, sorted, peers), []);
            }
        }

        var indexes = new List<HashedPrefixIndex>();
        var sameLength = new List<Route>();
        for (int length = 32; length >= 0; length--)
        {
            if (routesPerLength[length] == 0)
            {
                continue;
            }
            sameLength.Clear();
            foreach (Route route in sorted)
            {
                if (route.Subnet.PrefixLength == length)
                {
                    sameLength.Add(route);
                }
            }
            indexes.Add(new HashedPrefixIndex(length, CollectionsMarshal.AsSpan(sameLength), peers));
        }
        return new RouteTable(sorted, peers, null, [.. indexes]);
    }
}
