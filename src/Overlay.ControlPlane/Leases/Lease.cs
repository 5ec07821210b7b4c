using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

/// <summary>
/// This node's lease: its subnet, the public IP it advertises, and when the etcd lease runs out (local clock:
/// now + granted TTL at the last write). <see cref="Key"/> is the etcd key holding it. Immutable.
/// </summary>
public sealed record Lease(Ipv4Subnet Subnet, uint PublicIp, DateTimeOffset Expiration, string Key);
