using System.Numerics;

namespace Overlay.DataPlane.Routing;

/// <summary>
/// The distinct public addresses of a route table's next hops, each with a dense peer index (0..Count-1, in the
/// order of the table's routes): the inbound source check probes it once per received datagram, and per-peer
/// traffic counters are arrays indexed by it.
/// </summary>
/// <remarks>
/// An open-addressing hash table of addresses with Fibonacci hashing into a power-of-two table kept at most half
/// full, with linear probing, so every probe sequence reaches an empty cell. Address 0 marks an empty cell; a next
/// hop of 0.0.0.0 is remembered in a field instead. Which cells are occupied depends only on the table, so a sender
/// choosing its source address cannot lengthen a probe beyond the longest run the table itself holds. Immutable
/// after construction; safe for concurrent readers.
/// </remarks>
internal sealed class PeerAddressSet
{
    private const uint GoldenRatio = 0x9E37_79B9;

    private readonly uint[] _cells;
    private readonly int[] _indexOfCell;
    private readonly uint[] _addressOfIndex;
    private readonly int _hashShift;
    private readonly int _probeMask;
    private readonly int _zeroIndex = -1;

    public PeerAddressSet(ReadOnlySpan<Route> routes)
    {
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, routes.Length * 2));
        _hashShift = 32 - BitOperations.Log2((uint)capacity);
        _probeMask = capacity - 1;
        _cells = new uint[capacity];
        _indexOfCell = new int[capacity];
        var addresses = new uint[routes.Length];
        int count = 0;
        foreach (Route route in routes)
        {
            uint address = route.NextHop.Address;
            if (address == 0)
            {
                if (_zeroIndex < 0)
                {
                    _zeroIndex = count;
                    addresses[count++] = 0;
                }
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
                _indexOfCell[i] = count;
                addresses[count++] = address;
            }
        }
        _addressOfIndex = addresses.AsSpan(0, count).ToArray();
    }

    /// <summary>How many distinct addresses the set holds.</summary>
    public int Count => _addressOfIndex.Length;

    /// <summary>The address with peer index <paramref name="index"/> (0..Count-1).</summary>
    public uint AddressAt(int index) => _addressOfIndex[index];

    /// <summary>True when <paramref name="address"/> (host byte order) is one of the next hops. Allocation-free.</summary>
    public bool Contains(uint address) => TryGetIndex(address, out _);

    /// <summary>Finds the peer index of <paramref name="address"/> (host byte order). Allocation-free.</summary>
    public bool TryGetIndex(uint address, out int index)
    {
        if (address == 0)
        {
            index = _zeroIndex;
            return index >= 0;
        }
        uint[] cells = _cells;
        int i = Home(address);
        while (true)
        {
            uint cell = cells[i];
            if (cell == address)
            {
                index = _indexOfCell[i];
                return true;
            }
            if (cell == 0)
            {
                index = -1;
                return false;
            }
            i = (i + 1) & _probeMask;
        }
    }

    /// <summary>The peer index of an address known to be in the set (a next hop of the routes it was built from).</summary>
    public int IndexOf(uint address) =>
        TryGetIndex(address, out int index) ? index : throw new ArgumentException($"{Ipv4.Format(address)} is not a next hop of this table", nameof(address));

    private int Home(uint address) => (int)((address * GoldenRatio) >> _hashShift);
}
