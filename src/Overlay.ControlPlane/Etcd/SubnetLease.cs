using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// One well-formed lease read from etcd. <see cref="Key"/> is the key exactly as stored (use it to renew or
/// delete); <see cref="EtcdLeaseId"/> is 0 for a reservation (a key put without a lease).
/// </summary>
public sealed record SubnetLease(string Key, ParsedSubnetKey ParsedKey, LeaseAttributes Attributes, long EtcdLeaseId, long ModRevision)
{
    public Ipv4Subnet Subnet => ParsedKey.Subnet;

    public uint PublicIp => Attributes.PublicIp;
}
