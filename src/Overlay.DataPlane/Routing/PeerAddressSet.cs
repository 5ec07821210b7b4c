using System.Numerics;

namespace Overlay.DataPlane.Routing;

/// <summary>
/// The distinct public addresses of a route table's next hops, for the inbound source check: an open-addressing
/// hash set of addresses, built once and probed once per received datagram.
/// </summary>
/// <remarks>
/// Fibonacci hashing into a power-of-two table kept at most half full, with linear probing, so every probe sequence
/// reaches an empty cell. Address 0 marks an empty cell; a next hop of 0.0.0.0 is remembered in a flag instead.
/// Which cells are occupied depends only on the table, so a sender choosing its source address cannot lengthen a
/// probe beyond the longest run the table itself holds. Immutable after construction; safe for concurrent readers.
/// </remarks>
internal sealed class PeerAddressSet
{
    private const uint GoldenRatio = 0x9E37_79B9;

    private readonly uint[] _cells;
    private readonly int _hashShift;
    private readonly int _probeMask;
    private readonly bool _containsZero;

    public PeerAddressSet(ReadOnlySpan<Route> routes)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, routes.Length * 2));
        _hashShift = 32 - BitOperations.Log2((uint)capacity);
        _probeMask = capacity - 1;
        _cells = new uint[capacity];
        foreach (Route route in routes)
        {
            uint address = route.NextHop.Address;
            if (address == 0)
            {
                _containsZero = true;
                continue;
            }
            int i = Home(address);
            while (_cells[i] != 0 && _cells[i] != address)
            {
                i = (i + 1) & _probeMask;
            }
            if (_cells[i] == 0)
            {
                _cells[i] = address;
                Count++;
            }
        }
        if (_containsZero)
        {
            Count++;
        }
    }

    /// <summary>How many distinct addresses the set holds.</summary>
    public int Count { get; }

    /// <summary>True when <paramref name="address"/> (host byte order) is one of the next hops. Allocation-free.</summary>
    public bool Contains(uint address)
    {
        if (address == 0)
        {
            return _containsZero;
        }
        uint[] cells = _cells;
        int i = Home(address);
        while (true)
        {
            uint cell = cells[i];
            if (cell == address)
            {
                return true;
            }
            if (cell == 0)
            {
                return false;
            }
            i = (i + 1) & _probeMask;
        }
    }

    private int Home(uint address) => (int)((address * GoldenRatio) >> _hashShift);
}
