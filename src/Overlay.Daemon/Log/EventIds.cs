namespace Overlay.Daemon.Log;

/// <summary>Every daemon log event has a fixed id, so operators can filter on it across releases.</summary>
internal static class EventIds
{
    public const int Starting = 1;
    public const int InterfaceSelected = 2;
    public const int ConfigLoaded = 3;
    public const int LeaseAcquired = 4;
    public const int LeaseAcquireFailed = 5;
    public const int DeviceReady = 6;
    public const int Forwarding = 7;
    public const int SubnetFileWritten = 8;
    public const int SubnetFileFailed = 9;
    public const int Stopping = 10;
    public const int Stopped = 11;
    public const int ReactorFault = 12;
    public const int LeaseChanged = 13;
    public const int HealthServing = 14;
    public const int Ipv6Ignored = 15;
    public const int Counters = 16;
    public const int ControlPlaneFault = 17;
    public const int AcceptLocalFailed = 18;
    public const int OffloadUnavailable = 19;
    public const int DataPlaneMode = 20;
    public const int MasqueradeInstalled = 21;
    public const int MasqueradeRepaired = 22;
    public const int MasqueradeResyncFailed = 23;
    public const int BridgeNetfilterMissing = 24;
    public const int ForwardingThreadsPinned = 25;
    public const int LightLoadPinning = 26;
    public const int ThreadPlacementChanged = 27;
    public const int ThreadPlacementFailed = 28;
    public const int PodsHoldOldSubnet = 40;
    public const int OldAddressRemoved = 41;
    public const int MasqueradeMoveFailed = 42;
    public const int StartRefused = 43;
    public const int GsoFellBack = 44;
}
