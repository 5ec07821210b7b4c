namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// A lease key written with a fresh etcd lease: its ID, the locally computed expiry (now + granted TTL) and the
/// store revision of the write.
/// </summary>
public sealed record LeaseWrite(long EtcdLeaseId, DateTimeOffset Expiration, long Revision);
