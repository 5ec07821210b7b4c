using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Metrics;

/// <summary>
/// The peers that get their own series on /metrics: at most <c>limit</c>, the busiest by bytes sent plus received
/// (ties by address, so the choice is stable), read once per scrape for all four per-peer instruments.
/// </summary>
/// <remarks>
/// prometheus-net spends about 20 µs per series on a scrape and keeps every series it has seen for a while, so a
/// cluster of 5,000 peers (20,000 series) made a scrape take most of a second and a megabyte. The totals over all
/// peers stay exact in the other instruments; a peer that drops out of the busiest stops being updated and
/// prometheus-net forgets its series after its expiry. Thread-safe.
/// </remarks>
internal sealed class BusiestPeers
{
    // The four per-peer instruments are observed one after the other within one scrape: one selection serves them all.
    private static readonly TimeSpan s_reuseFor = TimeSpan.FromSeconds(1);

    private readonly PeerCounters _counters;
    private readonly RouteTableHolder _routes;
    private readonly int _limit;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Selection _last = new([], long.MinValue);

    public BusiestPeers(PeerCounters counters, RouteTableHolder routes, int limit, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _counters = counters;
        _routes = routes;
        _limit = limit;
        _time = time;
    }

    /// <summary>The selected peers with their labels, busiest first.</summary>
    public IReadOnlyList<LabelledPeer> Current()
    {
        if (_limit == 0)
        {
            // Nothing to export, but each scrape still lets the totals of departed peers go.
            _counters.ForgetDeparted(_routes.Current);
            return [];
        }
        lock (_lock)
        {
            long now = _time.GetTimestamp();
            if (_time.GetElapsedTime(_last.Timestamp, now) > s_reuseFor || _last.Timestamp == long.MinValue)
            {
                _last = new Selection(Select(_counters.Snapshot(_routes.Current), _limit), now);
            }
            return _last.Peers;
        }
    }

    /// <summary>At most <paramref name="limit"/> peers of <paramref name="all"/>, busiest first, ties by address.</summary>
    internal static LabelledPeer[] Select(IReadOnlyList<PeerTraffic> all, int limit)
    {
        var sorted = new PeerTraffic[all.Count];
        for (int i = 0; i < sorted.Length; i++)
        {
            sorted[i] = all[i];
        }
        Array.Sort(sorted, static (a, b) =>
        {
            int byTraffic = (b.SentBytes + b.ReceivedBytes).CompareTo(a.SentBytes + a.ReceivedBytes);
            return byTraffic != 0 ? byTraffic : a.Address.CompareTo(b.Address);
        });
        var selected = new LabelledPeer[Math.Min(limit, sorted.Length)];
        for (int i = 0; i < selected.Length; i++)
        {
            selected[i] = new LabelledPeer(sorted[i], new KeyValuePair<string, object?>("peer", Ipv4.Format(sorted[i].Address)));
        }
        return selected;
    }

    private sealed record Selection(LabelledPeer[] Peers, long Timestamp);
}

/// <summary>One peer's totals and the label its series carry.</summary>
internal readonly record struct LabelledPeer(PeerTraffic Traffic, KeyValuePair<string, object?> Label);
