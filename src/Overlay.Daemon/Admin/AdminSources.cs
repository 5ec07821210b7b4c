using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Capture;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Admin;

/// <summary>
/// Where the admin server reads what it reports. Every delegate is called on an admin connection's task, never on
/// a forwarding thread, and must be thread-safe (a volatile read of the current table or a counter snapshot is).
/// </summary>
/// <param name="Routes">The route table the data plane forwards with right now.</param>
/// <param name="Stats">Host-wide forwarding totals; clients derive rates from successive answers.</param>
/// <param name="Capture">The tap the forwarding loops offer their batches to.</param>
/// <param name="Leases">Lists leases from etcd; null when the daemon has no registry (the request then fails with a message).</param>
/// <param name="Peers">Per-peer totals, reported for the peers of the current route table; null reports none.</param>
/// <param name="LocalSubnet">This host's own lease, which is never a route; null (or a null result) when unknown.</param>
public sealed record AdminSources(
    Func<RouteTable> Routes,
    Func<ForwardingSnapshot> Stats,
    CaptureTap Capture,
    Func<CancellationToken, Task<LeaseListing>>? Leases = null,
    PeerCounters? Peers = null,
    Func<Ipv4Subnet?>? LocalSubnet = null);
