namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// What the classifier needs besides the exception: the same transport error means different things over TLS and
/// plain text, with and without a client certificate, and the fixes name the prefix and flags in use.
/// </summary>
public sealed record EtcdFailureContext(bool Tls, bool ClientCertificate, bool CaFile, bool Username, string Prefix)
{
    public static EtcdFailureContext For(EtcdOptions options, EtcdTransport transport)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(transport);
        return new EtcdFailureContext(transport.Tls, transport.PresentsClientCertificate, transport.TrustsCaFile,
            !string.IsNullOrEmpty(options.Username), EtcdPath.Clean(options.Prefix));
    }

    /// <summary>Plain text, no certificates, no user: what a registry of unknown settings is assumed to use.</summary>
    public static EtcdFailureContext PlainText(string prefix) => new(false, false, false, false, prefix);
}
