using Overlay.DataPlane.Routing;

namespace Overlay.Ctl.Drift;

/// <summary>Joins the daemon's routes with etcd's leases by subnet, so drift between them is one column.</summary>
internal static class SubnetJoin
{
    /// <summary>Every subnet on either side, in address order; <paramref name="localSubnet"/> (the daemon's own lease) is marked.</summary>
    public static IReadOnlyList<SubnetView> Join(
        IEnumerable<Route> daemonRoutes,
        IEnumerable<(Ipv4Subnet Subnet, uint PublicIp, long LeaseId)> etcdLeases,
        Ipv4Subnet? localSubnet = null)
    {
        var views = new Dictionary<Ipv4Subnet, SubnetView>();
        foreach (Route route in daemonRoutes)
        {
            views[route.Subnet] = new SubnetView(route.Subnet, route.NextHop, null, null);
        }
        foreach ((Ipv4Subnet subnet, uint publicIp, long leaseId) in etcdLeases)
        {
            views[subnet] = views.TryGetValue(subnet, out SubnetView? seen)
                ? seen with { EtcdPublicIp = publicIp, EtcdLeaseId = leaseId }
                : new SubnetView(subnet, null, publicIp, leaseId);
        }
        return [.. views.Values.Select(v => v with { IsLocal = v.Subnet == localSubnet }).OrderBy(v => v.Subnet.Network).ThenBy(v => v.Subnet.PrefixLength)];
    }
}
