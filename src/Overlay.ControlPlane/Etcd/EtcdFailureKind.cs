namespace Overlay.ControlPlane.Etcd;

/// <summary>Why an etcd call failed, as far as the client can tell; each kind has its own fix.</summary>
public enum EtcdFailureKind
{
    /// <summary>Anything not recognised below; the cause carries etcd's or the transport's own words.</summary>
    Other,
    ConnectionRefused,
    NoRoute,
    Timeout,
    NameNotResolved,
    CertificateNameMismatch,
    CertificateUnknownAuthority,
    CertificateExpired,
    TlsHandshakeFailed,
    ClientCertificateRequired,
    ClientCertificateRejected,
    PlainTextToTlsServer,
    AuthenticationRequired,
    AuthenticationFailed,
    PermissionDenied,
}
