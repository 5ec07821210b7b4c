namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// How the etcd client dials, decided by the endpoints' scheme as etcd's own client decides it: every https://
/// endpoint is TLS (1.2 or newer), trusting <see cref="CaFile"/> when given and the system roots otherwise, and
/// presenting a client certificate when both <see cref="CertFile"/> and <see cref="KeyFile"/> are given; every
/// http:// endpoint is plain text. One client speaks one transport, so a list mixing both schemes is refused.
/// </summary>
public sealed record EtcdTransport(bool Tls, string? CaFile, string? CertFile, string? KeyFile)
{
    private const string Http = "http://";
    private const string Https = "https://";

    /// <summary>Whether a client certificate is presented (TLS with both cert and key).</summary>
    public bool PresentsClientCertificate => Tls && CertFile is not null && KeyFile is not null;

    /// <summary>Whether the CA file replaces the system roots.</summary>
    public bool TrustsCaFile => Tls && CaFile is not null;

    /// <summary>Checks the settings and picks the transport; throws <see cref="EtcdSettingsException"/> naming the flags and the fix.</summary>
    public static EtcdTransport Choose(EtcdOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Choose(options.EndpointList(), options.CaFile, options.CertFile, options.KeyFile);
    }

    /// <summary>The same check over the raw flag values, for flag validation before any client exists.</summary>
    public static EtcdTransport Choose(IReadOnlyList<string> endpoints, string? caFile, string? certFile, string? keyFile)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        string? ca = NullIfEmpty(caFile);
        string? cert = NullIfEmpty(certFile);
        string? key = NullIfEmpty(keyFile);
        if ((cert is null) != (key is null))
        {
            throw new EtcdSettingsException("etcd-certfile,etcd-keyfile", cert is null
                ? $"-etcd-keyfile={key} is given without -etcd-certfile: a client certificate needs both, give -etcd-certfile too (or drop -etcd-keyfile)"
                : $"-etcd-certfile={cert} is given without -etcd-keyfile: a client certificate needs both, give -etcd-keyfile too (or drop -etcd-certfile)");
        }
        if (endpoints.Count == 0)
        {
            throw new EtcdSettingsException("etcd-endpoints", "-etcd-endpoints is empty: give at least one URL, e.g. -etcd-endpoints=https://127.0.0.1:2379");
        }
        string? plain = null;
        string? secure = null;
        foreach (string endpoint in endpoints)
        {
            if (endpoint.StartsWith(Https, StringComparison.OrdinalIgnoreCase))
            {
                secure ??= endpoint;
            }
            else if (endpoint.StartsWith(Http, StringComparison.OrdinalIgnoreCase))
            {
                plain ??= endpoint;
            }
            else
            {
                throw new EtcdSettingsException("etcd-endpoints",
                    $"-etcd-endpoints entry \"{endpoint}\" is not an http(s) URL: write it as https://HOST:PORT (TLS) or http://HOST:PORT (plain text)");
            }
        }
        if (plain is not null && secure is not null)
        {
            throw new EtcdSettingsException("etcd-endpoints",
                $"-etcd-endpoints mixes plain text ({plain}) and TLS ({secure}): one etcd cluster speaks one of them, write every endpoint as https:// (or every one as http://)");
        }
        return new EtcdTransport(secure is not null, ca, cert, key);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
