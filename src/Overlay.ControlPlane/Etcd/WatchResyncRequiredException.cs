namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// etcd cancelled the watch: either the start revision was compacted away (<see cref="CompactRevision"/> &gt; 0)
/// or the server dropped it for another reason. Events may have been missed: re-list, diff, then watch again.
/// </summary>
public sealed class WatchResyncRequiredException : Exception
{
    public WatchResyncRequiredException(string message, long compactRevision)
        : base(message) => CompactRevision = compactRevision;

    public WatchResyncRequiredException()
        : this("watch cancelled by etcd", 0)
    {
    }

    public WatchResyncRequiredException(string message)
        : this(message, 0)
    {
    }

    public WatchResyncRequiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public long CompactRevision { get; }
}
