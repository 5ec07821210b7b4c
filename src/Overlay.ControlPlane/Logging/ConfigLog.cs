using Microsoft.Extensions.Logging;

namespace Overlay.ControlPlane.Logging;

internal static partial class ConfigLog
{
    [LoggerMessage(ControlPlaneEventIds.ConfigInvalid, LogLevel.Error, "network config rejected, field {Field}: {Message} (retrying every second)")]
    public static partial void ConfigInvalid(this ILogger logger, string field, string message);

    [LoggerMessage(ControlPlaneEventIds.ConfigMissing, LogLevel.Error, "{Message} (retrying every second)")]
    public static partial void ConfigMissing(this ILogger logger, string message);

    [LoggerMessage(ControlPlaneEventIds.ConfigUnavailable, LogLevel.Warning, "cannot read the network config from etcd: {Reason} (retrying every second)")]
    public static partial void ConfigUnavailable(this ILogger logger, string reason);

    [LoggerMessage(ControlPlaneEventIds.ConfigWarning, LogLevel.Warning, "network config: {Message}")]
    public static partial void ConfigWarning(this ILogger logger, string message);

    [LoggerMessage(ControlPlaneEventIds.ConfigLoaded, LogLevel.Information,
        "network config: Network {Network}, SubnetLen {SubnetLen}, subnets {SubnetMin} to {SubnetMax}, udp port {Port}")]
    public static partial void ConfigLoaded(this ILogger logger, string network, int subnetLen, string subnetMin, string subnetMax, int port);
}
