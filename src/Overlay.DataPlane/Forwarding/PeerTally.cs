using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// One forwarding thread's per-peer counts since its last flush, in arrays indexed by the peer index of the route
/// table it was last bound to: two plain increments per packet, flushed into the shared <see cref="PeerCounters"/>
/// once per batch together with the rest of the <see cref="ForwardingTally"/>.
/// </summary>
/// <remarks>
/// Processors call <see cref="Bind"/> with the table they route a batch by. Binding to a new table allocates arrays
/// sized to its peers and carries pending counts over by address (counts for a peer the new table no longer has are
/// dropped: nothing would export them); binding to the same table costs one reference compare. So the steady state
/// allocates nothing. Not thread-safe: a tally belongs to one thread.
/// </remarks>
public sealed class PeerTally
{
    private RouteTable _table = RouteTable.Empty;
    private PeerCount[] _counts = [];
    private int[] _touched = [];
    private int _touchedCount;

    // The shared totals for _table's peers, resolved at the first flush after a rebind.
    private RouteTable? _totalsTable;
    private PeerTotals[] _totals = [];

    /// <summary>The table whose peer indexes the counts use.</summary>
    public RouteTable Table => _table;

    /// <summary>Counts one packet of <paramref name="bytes"/> routed to peer <paramref name="peerIndex"/> of the bound table.</summary>
    public void AddSent(int peerIndex, int bytes)
    {
        ref PeerCount count = ref Touch(peerIndex);
        count.SentPackets++;
        count.SentBytes += bytes;
    }

    /// <summary>Counts one packet of <paramref name="bytes"/> received from peer <paramref name="peerIndex"/> of the bound table.</summary>
    public void AddReceived(int peerIndex, int bytes)
    {
        ref PeerCount count = ref Touch(peerIndex);
        count.ReceivedPackets++;
        count.ReceivedBytes += bytes;
    }

    /// <summary>Makes <paramref name="table"/>'s peer indexes the ones <see cref="AddSent"/> and <see cref="AddReceived"/> take.</summary>
    public void Bind(RouteTable table)
    {
        if (!ReferenceEquals(table, _table))
        {
            Rebind(table);
        }
    }

    /// <summary>Forgets pending counts without flushing them.</summary>
    public void Reset()
    {
        for (int i = 0; i < _touchedCount; i++)
        {
            _counts[_touched[i]] = default;
        }
        _touchedCount = 0;
    }

    /// <summary>Adds the pending counts to <paramref name="counters"/> and clears them. Call from the tally's own thread.</summary>
    internal void FlushInto(PeerCounters counters)
    {
        if (_touchedCount == 0)
        {
            return;
        }
        if (!ReferenceEquals(_totalsTable, _table))
        {
            _totals = counters.TotalsFor(_table);
            _totalsTable = _table;
        }
        for (int i = 0; i < _touchedCount; i++)
        {
            int peer = _touched[i];
            _totals[peer].Add(in _counts[peer]);
            _counts[peer] = default;
        }
        _touchedCount = 0;
    }

    private ref PeerCount Touch(int peerIndex)
    {
        ref PeerCount count = ref _counts[peerIndex];
        if (!count.Touched)
        {
            count.Touched = true;
            _touched[_touchedCount++] = peerIndex;
        }
        return ref count;
    }

    private void Rebind(RouteTable table)
    {
        PeerCount[] oldCounts = _counts;
        int[] oldTouched = _touched;
        int oldTouchedCount = _touchedCount;
        RouteTable oldTable = _table;

        _table = table;
        _counts = new PeerCount[table.PeerCount];
        _touched = new int[table.PeerCount];
        _touchedCount = 0;
        for (int i = 0; i < oldTouchedCount; i++)
        {
            int oldIndex = oldTouched[i];
            if (table.TryGetPeerIndex(oldTable.PeerAddress(oldIndex), out int newIndex))
            {
                ref PeerCount moved = ref Touch(newIndex);
                moved.SentPackets += oldCounts[oldIndex].SentPackets;
                moved.SentBytes += oldCounts[oldIndex].SentBytes;
                moved.ReceivedPackets += oldCounts[oldIndex].ReceivedPackets;
                moved.ReceivedBytes += oldCounts[oldIndex].ReceivedBytes;
            }
        }
    }
}

/// <summary>One peer's pending counts in a <see cref="PeerTally"/>.</summary>
internal struct PeerCount
{
    public long SentPackets;
    public long SentBytes;
    public long ReceivedPackets;
    public long ReceivedBytes;
    public bool Touched;
}
