namespace Overlay.ControlPlane.Etcd;

/// <summary>The watch stream ended without an error status; resume from the last revision after a backoff.</summary>
public sealed class WatchInterruptedException : Exception
{
    public WatchInterruptedException()
        : base("the etcd watch stream closed")
    {
    }

    public WatchInterruptedException(string message)
        : base(message)
    {
    }

    public WatchInterruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
