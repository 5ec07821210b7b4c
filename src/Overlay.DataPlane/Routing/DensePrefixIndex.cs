namespace Overlay.DataPlane.Routing;

/// <summary>
/// Routes that all share one prefix length, in an array indexed directly by the destination's network number
/// relative to the lowest network: <c>(destination - base) &gt;&gt; (32 - length)</c>. This is flannel's case (every
/// lease has the same SubnetLen), where a lookup is one subtraction, one shift and one bounds-checked load.
/// </summary>
/// <remarks>Immutable after construction; safe for any number of concurrent readers.</remarks>
internal sealed class DensePrefixIndex
{
    private readonly uint _base;
    private readonly int _shift;
    private readonly RouteSlot[] _slots;

    /// <param name="prefixLength">The length every route has.</param>
    /// <param name="routes">Distinct networks of that length, sorted by network.</param>
    /// <param name="peers">The table's peers, which give each route's peer index.</param>
    public DensePrefixIndex(int prefixLength, ReadOnlySpan<Route> routes, PeerAddressSet peers)
    {
        _shift = 32 - prefixLength;
        _base = routes[0].Subnet.Network;
        _slots = new RouteSlot[SlotsNeeded(prefixLength, routes[0].Subnet.Network, routes[^1].Subnet.Network)];
        foreach (Route route in routes)
        {
            _slots[(int)((ulong)(route.Subnet.Network - _base) >> _shift)] = new RouteSlot(route.Subnet.Network, route.NextHop, peers.IndexOf(route.NextHop.Address));
        }
    }

    /// <summary>Array length needed to cover networks <paramref name="lowest"/>..<paramref name="highest"/> of one length.</summary>
    public static long SlotsNeeded(int prefixLength, uint lowest, uint highest) =>
        (long)((ulong)(highest - lowest) >> (32 - prefixLength)) + 1;

    public bool TryFind(uint destination, out PeerEndpoint nextHop, out int peerIndex)
    {
        // A 64-bit shift so that a /0 table (shift 32) maps everything to slot 0; a destination below the base wraps
        // to a large offset and falls off the end like one above the top.
        ulong index = (ulong)(destination - _base) >> _shift;
        RouteSlot[] slots = _slots;
        if (index < (ulong)slots.Length)
        {
            ref readonly RouteSlot slot = ref slots[(int)index];
            if (slot.Occupied)
            {
                nextHop = slot.NextHop;
                peerIndex = slot.PeerIndex;
                return true;
            }
        }
        nextHop = default;
        peerIndex = -1;
        return false;
    }
}
