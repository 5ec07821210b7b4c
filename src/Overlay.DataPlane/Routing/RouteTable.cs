namespace Overlay.DataPlane.Routing;

/// <summary>
/// An immutable snapshot of peer routes. Built by the control plane, read lock-free by forwarding threads.
/// </summary>
public sealed partial class RouteTable
{
    public static RouteTable Empty { get; } = Create([]);

    /// <summary>The routes this table was built from, in a stable order (by network, then prefix).</summary>
    public IReadOnlyList<Route> Routes => _routes;

    public int Count => _routes.Length;

    /// <summary>How many distinct peer addresses the next hops name (several leases may share one host); peer indexes run 0..PeerCount-1.</summary>
    public int PeerCount => _peers.Count;
}
