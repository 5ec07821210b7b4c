using System.Collections.Concurrent;
using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Per-peer totals shared by every forwarding thread, keyed by the peer's public address, so they survive route
/// table changes. Threads add their <see cref="PeerTally"/> once per batch; exporters read <see cref="Snapshot"/>.
/// </summary>
/// <remarks>
/// Thread-safe. Totals are kept for the peers of the tables threads route by; when a table without some peer is
/// bound, that peer's totals are forgotten (a peer that leaves and comes back starts again from 0, which Prometheus
/// reads as a counter reset), so memory follows the current peers, not every peer ever seen.
/// </remarks>
public sealed class PeerCounters
{
    private readonly ConcurrentDictionary<uint, PeerTotals> _byAddress = new();

    /// <summary>Totals for every peer of <paramref name="table"/>, in its peer-index order (0 for peers not yet counted).</summary>
    public IReadOnlyList<PeerTraffic> Snapshot(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var traffic = new PeerTraffic[table.PeerCount];
        for (int i = 0; i < traffic.Length; i++)
        {
            uint address = table.PeerAddress(i);
            traffic[i] = _byAddress.TryGetValue(address, out PeerTotals? totals) ? totals.Read(address) : new PeerTraffic(address, 0, 0, 0, 0);
        }
        return traffic;
    }

    /// <summary>The shared totals for each of <paramref name="table"/>'s peers, by peer index. Allocates: call on a table change only.</summary>
    internal PeerTotals[] TotalsFor(RouteTable table)
    {
        var totals = new PeerTotals[table.PeerCount];
        for (int i = 0; i < totals.Length; i++)
        {
            totals[i] = _byAddress.GetOrAdd(table.PeerAddress(i), static _ => new PeerTotals());
        }
        foreach (uint address in _byAddress.Keys)
        {
            if (!table.IsKnownPeer(address))
            {
                _byAddress.TryRemove(address, out _);
            }
        }
        return totals;
    }
}
