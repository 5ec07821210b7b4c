namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// A raw key change (or, from a get, the key's current state as a Put). <see cref="Value"/> is empty for a
/// delete; <see cref="EtcdLeaseId"/> is 0 for a delete or a key without a lease.
/// </summary>
public sealed record KeyEvent(KeyEventKind Kind, string Key, ReadOnlyMemory<byte> Value, long EtcdLeaseId, long ModRevision);
