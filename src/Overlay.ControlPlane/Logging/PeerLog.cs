using Microsoft.Extensions.Logging;

namespace Overlay.ControlPlane.Logging;

internal static partial class PeerLog
{
    [LoggerMessage(ControlPlaneEventIds.PeerSnapshot, LogLevel.Information, "peer routes listed: {Routes} at revision {Revision}")]
    public static partial void PeerSnapshot(this ILogger logger, int routes, long revision);

    [LoggerMessage(ControlPlaneEventIds.PeerAdded, LogLevel.Information, "peer added: {Subnet} via {NextHop}")]
    public static partial void PeerAdded(this ILogger logger, string subnet, string nextHop);

    [LoggerMessage(ControlPlaneEventIds.PeerChanged, LogLevel.Information, "peer changed: {Subnet} via {NextHop} (was {Previous})")]
    public static partial void PeerChanged(this ILogger logger, string subnet, string nextHop, string previous);

    [LoggerMessage(ControlPlaneEventIds.PeerRemoved, LogLevel.Information, "peer removed: {Subnet}")]
    public static partial void PeerRemoved(this ILogger logger, string subnet);

    [LoggerMessage(ControlPlaneEventIds.PeerEventSkipped, LogLevel.Warning, "ignoring change to {Key}: {Problem}; other routes are kept")]
    public static partial void PeerEventSkipped(this ILogger logger, string key, string problem);

    [LoggerMessage(ControlPlaneEventIds.EtcdLost, LogLevel.Warning, "etcd lost: {Reason}; keeping {Routes} routes, resuming from revision {Revision} with backoff")]
    public static partial void EtcdLost(this ILogger logger, string reason, int routes, long revision);

    [LoggerMessage(ControlPlaneEventIds.EtcdRegained, LogLevel.Information, "etcd regained: watching from revision {Revision}")]
    public static partial void EtcdRegained(this ILogger logger, long revision);

    [LoggerMessage(ControlPlaneEventIds.PeerResync, LogLevel.Information, "peer watch must resync: {Reason}; listing again")]
    public static partial void PeerResync(this ILogger logger, string reason);

    [LoggerMessage(ControlPlaneEventIds.RouteTableRejected, LogLevel.Error, "could not build a route table, keeping the previous one: {Reason}")]
    public static partial void RouteTableRejected(this ILogger logger, string reason);

    // Debug: with churn this is up to a line per rebuild; its timestamp is when forwarding starts using a change.
    [LoggerMessage(ControlPlaneEventIds.RouteTablePublished, LogLevel.Debug, "route table published: {Routes} routes, built in {BuildMicroseconds} us")]
    public static partial void RouteTablePublished(this ILogger logger, int routes, long buildMicroseconds);
}
