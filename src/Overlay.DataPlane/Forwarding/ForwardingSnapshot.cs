namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// The totals of <see cref="ForwardingCounters"/> at one moment: plain values for a log line or a metrics exporter.
/// Packets on the TUN side count ICMP replies written back into the device as well as forwarded packets. With TUN
/// offloads, packet and byte totals still count plain packets, as a TUN without offloads would have carried them;
/// the superpacket totals say how many crossed the device merged (all 0 on the plain path). Every unrouted packet
/// counts in <see cref="DroppedNoRoute"/>; those answered count in <see cref="IcmpRepliesGenerated"/> as well, those
/// the reply limit left unanswered in <see cref="IcmpRepliesSuppressed"/>.
/// </summary>
public sealed record ForwardingSnapshot(
    long TunPacketsRead,
    long TunBytesRead,
    long UdpPacketsSent,
    long UdpBytesSent,
    long UdpPacketsReceived,
    long UdpBytesReceived,
    long TunPacketsWritten,
    long TunBytesWritten,
    long IcmpRepliesGenerated,
    long IcmpRepliesSuppressed,
    long SuperpacketsSplit,
    long SegmentsProduced,
    long SuperpacketsBuilt,
    long SegmentsCoalesced,
    long DroppedTooShort,
    long DroppedNotIpv4,
    long DroppedBadHeaderLength,
    long DroppedTruncated,
    long DroppedNoRoute,
    long DroppedTtlExpired,
    long DroppedSendFailed,
    long DroppedTunWriteFailed,
    long DroppedBadOffload,
    long DroppedUnknownSource)
{
    public long TotalDropped =>
        DroppedTooShort + DroppedNotIpv4 + DroppedBadHeaderLength + DroppedTruncated +
        DroppedNoRoute + DroppedTtlExpired + DroppedSendFailed + DroppedTunWriteFailed +
        DroppedBadOffload + DroppedUnknownSource;

    /// <summary>The drop total for one reason, for exporters that iterate <see cref="DropReason"/>.</summary>
    public long Dropped(DropReason reason) => reason switch
    {
        DropReason.None => 0,
        DropReason.TooShort => DroppedTooShort,
        DropReason.NotIpv4 => DroppedNotIpv4,
        DropReason.BadHeaderLength => DroppedBadHeaderLength,
        DropReason.Truncated => DroppedTruncated,
        DropReason.NoRoute => DroppedNoRoute,
        DropReason.TtlExpired => DroppedTtlExpired,
        DropReason.SendFailed => DroppedSendFailed,
        DropReason.TunWriteFailed => DroppedTunWriteFailed,
        DropReason.BadOffload => DroppedBadOffload,
        DropReason.UnknownSource => DroppedUnknownSource,
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "unknown drop reason"),
    };
}
