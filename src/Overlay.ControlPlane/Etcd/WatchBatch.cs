namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// One watch response: its events in order (apply them together), and the header revision. The first batch of
/// every stream has <see cref="IsCreated"/> set and usually no events: it proves the stream is established.
/// </summary>
public sealed record WatchBatch(IReadOnlyList<KeyEvent> Events, long Revision, bool IsCreated);
