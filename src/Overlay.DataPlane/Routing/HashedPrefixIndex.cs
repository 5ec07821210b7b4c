using System.Numerics;

namespace Overlay.DataPlane.Routing;

/// <summary>
/// Routes of one prefix length in an open-addressing hash table keyed by the masked destination, for tables whose
/// networks are too spread out for <see cref="DensePrefixIndex"/>. A table of mixed lengths probes one of these per
/// length, longest first, which is a longest-prefix match.
/// </summary>
/// <remarks>
/// Fibonacci hashing into a power-of-two table kept at most half full, with linear probing: a probe sequence always
/// reaches an empty cell, so every lookup ends. Immutable after construction; safe for concurrent readers.
/// </remarks>
internal sealed class HashedPrefixIndex
{
    private const uint GoldenRatio = 0x9E37_79B9;

    private readonly uint _mask;
    private readonly int _hashShift;
    private readonly int _probeMask;
    private readonly RouteSlot[] _slots;

    /// <param name="prefixLength">The length every route has.</param>
    /// <param name="routes">Distinct networks of that length.</param>
    /// <param name="peers">The table's peers, which give each route's peer index.</param>
    public HashedPrefixIndex(int prefixLength, ReadOnlySpan<Route> routes, PeerAddressSet peers)
    {
        PrefixLength = prefixLength;
        _mask = Ipv4Subnet.MaskOf(prefixLength);
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, routes.Length * 2));
        _hashShift = 32 - BitOperations.Log2((uint)capacity);
        _probeMask = capacity - 1;
        _slots = new RouteSlot[capacity];
        foreach (Route route in routes)
        {
            int i = Home(route.Subnet.Network);
            while (_slots[i].Occupied)
            {
                i = (i + 1) & _probeMask;
            }
            _slots[i] = new RouteSlot(route.Subnet.Network, route.NextHop, peers.IndexOf(route.NextHop.Address));
        }
    }

    public int PrefixLength { get; }

    public bool TryFind(uint destination, out PeerEndpoint nextHop, out int peerIndex)
    {
        uint network = destination & _mask;
        RouteSlot[] slots = _slots;
        int i = Home(network);
        while (true)
        {
            ref readonly RouteSlot slot = ref slots[i];
            if (!slot.Occupied)
            {
                nextHop = default;
                peerIndex = -1;
                return false;
            }
            if (slot.Network == network)
            {
                nextHop = slot.NextHop;
                peerIndex = slot.PeerIndex;
                return true;
            }
            i = (i + 1) & _probeMask;
        }
    }

    private int Home(uint network) => (int)((network * GoldenRatio) >> _hashShift);
}
