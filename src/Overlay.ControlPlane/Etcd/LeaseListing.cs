namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// A snapshot of every well-formed lease, in etcd key order, and the store revision it was read at
/// (watch from <see cref="Revision"/> + 1 to see every later change). Malformed entries are not in it.
/// </summary>
public sealed record LeaseListing(IReadOnlyList<SubnetLease> Leases, long Revision);
