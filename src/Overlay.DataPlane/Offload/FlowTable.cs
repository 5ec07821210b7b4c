using System.Numerics;

namespace Overlay.DataPlane.Offload;

/// <summary>
/// The flows seen in one batch, each with its open merge: a fixed open-addressing table, allocated once and emptied
/// per batch in time proportional to the flows it held.
/// </summary>
/// <remarks>Not thread-safe: owned by one <see cref="GroCoalescer"/>.</remarks>
internal sealed class FlowTable
{
    private readonly int[] _buckets;
    private readonly FlowKey[] _keys;
    private readonly int[] _bucketOf;
    private readonly OpenMerge[] _merges;
    private readonly int _mask;
    private int _count;

    /// <param name="capacity">Most distinct flows per batch: the batch's packet count is always enough.</param>
    public FlowTable(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        // At most half full, so probe sequences stay short.
        int buckets = (int)BitOperations.RoundUpToPowerOf2((uint)capacity * 2);
        _buckets = new int[buckets];
        _mask = buckets - 1;
        _keys = new FlowKey[capacity];
        _bucketOf = new int[capacity];
        _merges = new OpenMerge[capacity];
    }

    public int Capacity => _keys.Length;

    /// <summary>The flow's index, or -1 when it has not been seen this batch.</summary>
    public int Find(FlowKey key)
    {
        int bucket = Home(key);
        while (true)
        {
            int entry = _buckets[bucket] - 1;
            if (entry < 0)
            {
                return -1;
            }
            if (_keys[entry] == key)
            {
                return entry;
            }
            bucket = (bucket + 1) & _mask;
        }
    }

    /// <summary>
    /// The flow's index, adding it with no open merge when new; -1 when the table is full (the caller then passes the
    /// packet through unmerged, which keeps order since a flow that is not here has nothing open).
    /// </summary>
    public int FindOrAdd(FlowKey key)
    {
        int bucket = Home(key);
        while (true)
        {
            int entry = _buckets[bucket] - 1;
            if (entry < 0)
            {
                break;
            }
            if (_keys[entry] == key)
            {
                return entry;
            }
            bucket = (bucket + 1) & _mask;
        }
        if (_count == _keys.Length)
        {
            return -1;
        }
        int added = _count++;
        _keys[added] = key;
        _bucketOf[added] = bucket;
        _merges[added] = new OpenMerge { Packet = -1 };
        _buckets[bucket] = added + 1;
        return added;
    }

    public ref OpenMerge Merge(int flow) => ref _merges[flow];

    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            _buckets[_bucketOf[i]] = 0;
        }
        _count = 0;
    }

    // HashCode is seeded per process, so crafted addresses and ports cannot aim for one probe chain.
    private int Home(FlowKey key) => HashCode.Combine(key.Source, key.Destination, key.Ports, key.Protocol) & _mask;
}
