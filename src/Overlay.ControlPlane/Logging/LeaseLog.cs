using Microsoft.Extensions.Logging;

namespace Overlay.ControlPlane.Logging;

internal static partial class LeaseLog
{
    [LoggerMessage(ControlPlaneEventIds.LeaseReused, LogLevel.Information, "reusing lease {Subnet} held for public IP {PublicIp}")]
    public static partial void LeaseReused(this ILogger logger, string subnet, string publicIp);

    [LoggerMessage(ControlPlaneEventIds.IncompatibleLeaseDeleted, LogLevel.Warning,
        "deleting lease {Key} of public IP {PublicIp}: it does not fit the config (SubnetLen {SubnetLen}, {SubnetMin} to {SubnetMax})")]
    public static partial void IncompatibleLeaseDeleted(this ILogger logger, string key, string publicIp, int subnetLen, string subnetMin, string subnetMax);

    [LoggerMessage(ControlPlaneEventIds.PreviousSubnetReused, LogLevel.Information, "reusing previous subnet {Subnet} from {SubnetFile}")]
    public static partial void PreviousSubnetReused(this ILogger logger, string subnet, string subnetFile);

    [LoggerMessage(ControlPlaneEventIds.SubnetAllocated, LogLevel.Information, "allocated new subnet {Subnet}")]
    public static partial void SubnetAllocated(this ILogger logger, string subnet);

    [LoggerMessage(ControlPlaneEventIds.CreateRaceLost, LogLevel.Warning, "subnet {Subnet} was taken by another node first (attempt {Attempt}); choosing again")]
    public static partial void CreateRaceLost(this ILogger logger, string subnet, int attempt);

    [LoggerMessage(ControlPlaneEventIds.AcquireFailed, LogLevel.Warning, "could not acquire a lease: {Reason} (retrying every second)")]
    public static partial void AcquireFailed(this ILogger logger, string reason);

    [LoggerMessage(ControlPlaneEventIds.LeaseRenewed, LogLevel.Information, "renewed lease {Subnet} until {Expiration:O}")]
    public static partial void LeaseRenewed(this ILogger logger, string subnet, DateTimeOffset expiration);

    [LoggerMessage(ControlPlaneEventIds.RenewFailed, LogLevel.Warning, "could not renew lease {Subnet}: {Reason} (retrying in a minute)")]
    public static partial void RenewFailed(this ILogger logger, string subnet, string reason);

    [LoggerMessage(ControlPlaneEventIds.LeaseRescheduled, LogLevel.Debug, "lease {Subnet} expires {Expiration:O}; renewal at {RenewAt:O}")]
    public static partial void LeaseRescheduled(this ILogger logger, string subnet, DateTimeOffset expiration, DateTimeOffset renewAt);

    [LoggerMessage(ControlPlaneEventIds.LeaseDeleted, LogLevel.Warning, "lease {Subnet} was deleted from etcd (expired or removed); re-acquiring, forwarding continues")]
    public static partial void LeaseDeleted(this ILogger logger, string subnet);

    [LoggerMessage(ControlPlaneEventIds.LeaseRecreated, LogLevel.Warning, "lease {Subnet} re-created: the same subnet was still free")]
    public static partial void LeaseRecreated(this ILogger logger, string subnet);

    [LoggerMessage(ControlPlaneEventIds.LeaseReplaced, LogLevel.Warning, "lease {OldSubnet} is gone for good; now holding {NewSubnet}")]
    public static partial void LeaseReplaced(this ILogger logger, string oldSubnet, string newSubnet);

    [LoggerMessage(ControlPlaneEventIds.LeaseTaken, LogLevel.Warning, "lease {Subnet} now names public IP {PublicIp}, not ours; re-acquiring")]
    public static partial void LeaseTaken(this ILogger logger, string subnet, string publicIp);

    [LoggerMessage(ControlPlaneEventIds.OwnWatchLost, LogLevel.Warning, "watch on our lease {Subnet} lost: {Reason}; retrying with backoff")]
    public static partial void OwnWatchLost(this ILogger logger, string subnet, string reason);

    [LoggerMessage(ControlPlaneEventIds.OwnWatchRegained, LogLevel.Information, "watch on our lease {Subnet} re-established at revision {Revision}")]
    public static partial void OwnWatchRegained(this ILogger logger, string subnet, long revision);

    [LoggerMessage(ControlPlaneEventIds.OwnWatchResync, LogLevel.Information, "watch on our lease {Subnet} must resync: {Reason}")]
    public static partial void OwnWatchResync(this ILogger logger, string subnet, string reason);
}
