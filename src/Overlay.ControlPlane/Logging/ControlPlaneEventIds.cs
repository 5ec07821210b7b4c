namespace Overlay.ControlPlane.Logging;

/// <summary>Event IDs of every control-plane log line, in one place so they never collide (1000-1999).</summary>
internal static class ControlPlaneEventIds
{
    public const int EtcdClientCreated = 1000;
    public const int EtcdPlainText = 1001;
    public const int LeaseSkipped = 1002;
    public const int RevokeFailed = 1003;
    public const int EtcdTlsFilesIgnored = 1004;
    public const int EtcdUnhealthy = 1005;
    public const int EtcdHealthy = 1006;

    public const int ConfigInvalid = 1100;
    public const int ConfigMissing = 1101;
    public const int ConfigUnavailable = 1102;
    public const int ConfigWarning = 1103;
    public const int ConfigLoaded = 1104;

    public const int LeaseReused = 1200;
    public const int IncompatibleLeaseDeleted = 1201;
    public const int PreviousSubnetReused = 1202;
    public const int SubnetAllocated = 1203;
    public const int CreateRaceLost = 1204;
    public const int AcquireFailed = 1205;
    public const int LeaseRenewed = 1206;
    public const int RenewFailed = 1207;
    public const int LeaseRescheduled = 1208;
    public const int LeaseDeleted = 1209;
    public const int LeaseRecreated = 1210;
    public const int LeaseReplaced = 1211;
    public const int LeaseTaken = 1212;
    public const int OwnWatchLost = 1213;
    public const int OwnWatchRegained = 1214;
    public const int OwnWatchResync = 1215;

    public const int PeerSnapshot = 1300;
    public const int PeerAdded = 1301;
    public const int PeerChanged = 1302;
    public const int PeerRemoved = 1303;
    public const int PeerEventSkipped = 1304;
    public const int EtcdLost = 1305;
    public const int EtcdRegained = 1306;
    public const int PeerResync = 1307;
    public const int RouteTableRejected = 1308;
    public const int RouteTablePublished = 1309;
}
