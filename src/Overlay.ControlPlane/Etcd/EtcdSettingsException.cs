namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// The -etcd-* settings contradict each other or name an unreadable file; <see cref="Flags"/> names the flags
/// involved and the message says the fix. The daemon exits 1 on it, as on any other bad flag value.
/// </summary>
public sealed class EtcdSettingsException : Exception
{
    public EtcdSettingsException()
        : this("etcd-endpoints", "the etcd settings are invalid")
    {
    }

    public EtcdSettingsException(string message)
        : this("etcd-endpoints", message)
    {
    }

    public EtcdSettingsException(string message, Exception innerException)
        : base(message, innerException)
    {
        Flags = "etcd-endpoints";
    }

    public EtcdSettingsException(string flags, string message)
        : base(message)
    {
        Flags = flags;
    }

    public EtcdSettingsException(string flags, string message, Exception innerException)
        : base(message, innerException)
    {
        Flags = flags;
    }

    /// <summary>The flags at fault, without dashes, comma-separated (e.g. "etcd-certfile,etcd-keyfile").</summary>
    public string Flags { get; }
}
