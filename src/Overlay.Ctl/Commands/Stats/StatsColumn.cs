namespace Overlay.Ctl.Commands.Stats;

/// <summary>One column of <c>overlayctl stats</c>: its header, the admin protocol's field, and whether it counts bytes.</summary>
internal sealed record StatsColumn(string Header, string Field, bool IsBytes)
{
    /// <summary>The host row: the daemon's forwarding totals.</summary>
    public static IReadOnlyList<StatsColumn> Host { get; } =
    [
        new("TUN-READ", "tunPacketsRead", IsBytes: false),
        new("UDP-SENT", "udpPacketsSent", IsBytes: false),
        new("UDP-OUT", "udpBytesSent", IsBytes: true),
        new("UDP-RECV", "udpPacketsReceived", IsBytes: false),
        new("UDP-IN", "udpBytesReceived", IsBytes: true),
        new("TUN-WRITTEN", "tunPacketsWritten", IsBytes: false),
        new("DROPPED", "totalDropped", IsBytes: false),
    ];

    /// <summary>One row per peer of the daemon's route table.</summary>
    public static IReadOnlyList<StatsColumn> Peer { get; } =
    [
        new("SENT", "sentPackets", IsBytes: false),
        new("SENT-OUT", "sentBytes", IsBytes: true),
        new("RECV", "receivedPackets", IsBytes: false),
        new("RECV-IN", "receivedBytes", IsBytes: true),
    ];
}
