using Overlay.DataPlane.Routing;

namespace Overlay.Ctl.Drift;

/// <summary>
/// One subnet as seen from both sides: the daemon's route (next hop and port) and etcd's lease (public IP and
/// etcd lease ID). Either side may be missing; <see cref="State"/> names the drift.
/// </summary>
internal sealed record SubnetView(Ipv4Subnet Subnet, PeerEndpoint? DaemonNextHop, uint? EtcdPublicIp, long? EtcdLeaseId)
{
    public string State => (DaemonNextHop, EtcdPublicIp) switch
    {
        (null, null) => "unknown",
        // The host's own lease is never a route, so one "not routed" line per host is expected.
        (null, _) => "not routed by daemon",
        (_, null) => "not in etcd (stale route)",
        ({ } hop, { } ip) when hop.Address != ip => "next hop differs",
        _ => "in sync",
    };
}
