using Microsoft.Extensions.Logging.Abstractions;
using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Routing;

namespace Overlay.Ctl;

/// <summary>Reads the leases straight from etcd, with flannel's schema, for the "from etcd" column.</summary>
internal static class EtcdLeases
{
    public static async Task<IReadOnlyList<(Ipv4Subnet Subnet, uint PublicIp, long LeaseId)>> ListAsync(string endpoints, string prefix, CancellationToken cancellationToken)
    {
        var options = new EtcdOptions { Endpoints = [endpoints], Prefix = prefix, CallTimeout = TimeSpan.FromSeconds(5) };
        using var registry = new EtcdSubnetRegistry(options, NullLogger<EtcdSubnetRegistry>.Instance, TimeProvider.System);
        LeaseListing listing = await registry.ListLeasesAsync(cancellationToken).ConfigureAwait(false);
        return [.. listing.Leases.Select(l => (l.Subnet, l.PublicIp, l.EtcdLeaseId))];
    }
}
