using Overlay.DataPlane.Routing;

namespace Overlay.Ctl.Drift;

/// <summary>
/// One subnet as seen from both sides: the daemon's route (next hop and port) and etcd's lease (public IP and
/// etcd lease ID). Either side may be missing; <see cref="State"/> names the drift.
/// </summary>
/// <param name="IsLocal">The subnet is the daemon's own lease, which is never a route.</param>
internal sealed record SubnetView(Ipv4Subnet Subnet, PeerEndpoint? DaemonNextHop, uint? EtcdPublicIp, long? EtcdLeaseId, bool IsLocal = false)
{
    public string State => (DaemonNextHop, EtcdPublicIp) switch
    {
        (null, null) => "unknown",
        (null, _) when IsLocal => "this host",
        (null, _) => "not routed by daemon",
        (_, _) when IsLocal => "routes own subnet to a peer",
        (_, null) => "not in etcd (stale route)",
        ({ } hop, { } ip) when hop.Address != ip => "next hop differs",
        _ => "in sync",
    };
}
