namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// How to reach etcd, mirroring flanneld's -etcd-* flags. The endpoints' scheme decides the transport (see
/// <see cref="EtcdTransport"/>): https:// is TLS, http:// plain text.
/// </summary>
public sealed record EtcdOptions
{
    public const string DefaultPrefix = "/coreos.com/network";

    /// <summary>Endpoint URLs; an entry may itself be a comma-separated list, as -etcd-endpoints is.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = ["http://127.0.0.1:4001", "http://127.0.0.1:2379"];

    public string Prefix { get; init; } = DefaultPrefix;

    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public string? Username { get; init; }

    public string? Password { get; init; }

    /// <summary>Deadline for each unary etcd call, so an outage surfaces quickly instead of hanging.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Every endpoint, split at commas, trimmed, empty entries dropped.</summary>
    public IReadOnlyList<string> EndpointList() =>
        [.. Endpoints.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];
}
