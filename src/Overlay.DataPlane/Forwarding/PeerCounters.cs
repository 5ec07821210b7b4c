using System.Collections.Concurrent;
using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Per-peer totals shared by every forwarding thread, keyed by the peer's public address, so they survive route
/// table changes. Threads add their <see cref="PeerTally"/> once per batch; exporters read <see cref="Snapshot"/>.
/// </summary>
/// <remarks>
/// Thread-safe. Forwarding threads only ever add entries (when they bind a new table), so a thread that is slow to
/// see a new table cannot undo another's entry. Readers forget peers: <see cref="Snapshot"/> drops the totals of
/// every peer the current table no longer has, so memory follows the current peers, not every peer ever seen. A peer
/// that leaves and comes back starts again from 0 (Prometheus reads a counter reset); counts a thread still adds for a
/// peer that has left are not reported.
/// </remarks>
public sealed class PeerCounters
{
    private readonly ConcurrentDictionary<uint, PeerTotals> _byAddress = new();

    /// <summary>
    /// Totals for every peer of <paramref name="table"/>, in its peer-index order (0 for peers not yet counted), and
    /// forgets the totals of peers it does not have. Pass the current table.
    /// </summary>
    public IReadOnlyList<PeerTraffic> Snapshot(RouteTable table)
    {
        ForgetDeparted(table);
        var traffic = new PeerTraffic[table.PeerCount];
        for (int i = 0; i < traffic.Length; i++)
        {
            uint address = table.PeerAddress(i);
            traffic[i] = _byAddress.TryGetValue(address, out PeerTotals? totals) ? totals.Read(address) : new PeerTraffic(address, 0, 0, 0, 0);
        }
        return traffic;
    }

    /// <summary>
    /// Forgets the totals of every peer <paramref name="table"/> (pass the current one) does not have, without reading
    /// the others: for readers that export no per-peer numbers but must still keep memory to the current peers.
    /// </summary>
    public void ForgetDeparted(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        foreach (KeyValuePair<uint, PeerTotals> entry in _byAddress)
        {
            if (!table.IsKnownPeer(entry.Key))
            {
                _byAddress.TryRemove(entry.Key, out _);
            }
        }
    }

    /// <summary>The shared totals for each of <paramref name="table"/>'s peers, by peer index. Allocates: call on a table change only.</summary>
    internal PeerTotals[] TotalsFor(RouteTable table)
    {
        var totals = new PeerTotals[table.PeerCount];
        for (int i = 0; i < totals.Length; i++)
        {
            totals[i] = _byAddress.GetOrAdd(table.PeerAddress(i), static _ => new PeerTotals());
        }
        return totals;
    }
}
