using Microsoft.Extensions.Logging;

namespace Overlay.ControlPlane.Logging;

internal static partial class EtcdLog
{
    [LoggerMessage(ControlPlaneEventIds.EtcdClientCreated, LogLevel.Information, "etcd client for {Endpoints} ({Mode})")]
    public static partial void EtcdClientCreated(this ILogger logger, string endpoints, string mode);

    [LoggerMessage(ControlPlaneEventIds.EtcdPlainText, LogLevel.Warning,
        "no certificate and key given (-etcd-certfile, -etcd-keyfile): connecting to etcd in plain text, which is insecure")]
    public static partial void EtcdPlainText(this ILogger logger);

    [LoggerMessage(ControlPlaneEventIds.LeaseSkipped, LogLevel.Warning, "skipping {Key}: {Problem}")]
    public static partial void LeaseSkipped(this ILogger logger, string key, string problem);

    [LoggerMessage(ControlPlaneEventIds.RevokeFailed, LogLevel.Debug, "could not revoke unused etcd lease {LeaseId}: {Reason}")]
    public static partial void RevokeFailed(this ILogger logger, long leaseId, string reason);
}
