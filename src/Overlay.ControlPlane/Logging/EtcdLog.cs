using Microsoft.Extensions.Logging;

namespace Overlay.ControlPlane.Logging;

internal static partial class EtcdLog
{
    [LoggerMessage(ControlPlaneEventIds.EtcdClientCreated, LogLevel.Information, "etcd client for {Endpoints} ({Mode})")]
    public static partial void EtcdClientCreated(this ILogger logger, string endpoints, string mode);

    [LoggerMessage(ControlPlaneEventIds.EtcdPlainText, LogLevel.Warning,
        "connecting to etcd in plain text (http:// endpoints), which is insecure: serve etcd over TLS and write the endpoints as https://")]
    public static partial void EtcdPlainText(this ILogger logger);

    [LoggerMessage(ControlPlaneEventIds.EtcdTlsFilesIgnored, LogLevel.Warning,
        "-etcd-cafile, -etcd-certfile and -etcd-keyfile apply to https:// endpoints only; the http:// endpoints given are dialled in plain text")]
    public static partial void EtcdTlsFilesIgnored(this ILogger logger);

    [LoggerMessage(ControlPlaneEventIds.EtcdUnhealthy, LogLevel.Warning, "etcd at {Endpoints}: {Cause}; fix: {Fix} (retrying quietly until this changes)")]
    public static partial void EtcdUnhealthy(this ILogger logger, string endpoints, string cause, string fix);

    [LoggerMessage(ControlPlaneEventIds.EtcdHealthy, LogLevel.Information, "etcd at {Endpoints} answers again (was: {Cause})")]
    public static partial void EtcdHealthy(this ILogger logger, string endpoints, string cause);

    [LoggerMessage(ControlPlaneEventIds.LeaseSkipped, LogLevel.Warning, "skipping {Key}: {Problem}")]
    public static partial void LeaseSkipped(this ILogger logger, string key, string problem);

    [LoggerMessage(ControlPlaneEventIds.RevokeFailed, LogLevel.Debug, "could not revoke unused etcd lease {LeaseId}: {Reason}")]
    public static partial void RevokeFailed(this ILogger logger, long leaseId, string reason);
}
