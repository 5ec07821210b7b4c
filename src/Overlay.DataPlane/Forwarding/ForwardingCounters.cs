namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Totals shared by every forwarding thread, for logs, metrics and health. Threads never touch these per packet:
/// each keeps a <see cref="ForwardingTally"/> and adds it here once per batch.
/// </summary>
/// <remarks>
/// Thread-safe: <see cref="Add"/> may run on any number of threads while others call <see cref="Snapshot"/>.
/// A snapshot reads each total atomically but not all of them at one instant, so totals taken mid-batch may
/// disagree by up to one batch.
/// </remarks>
public sealed class ForwardingCounters
{
    private readonly long[] _drops = new long[DropReasons.TableSize];
    private readonly long[] _batches = new long[BatchSizes.TableSize];
    private long _tunPacketsRead;
    private long _tunBytesRead;
    private long _udpPacketsSent;
    private long _udpBytesSent;
    private long _udpPacketsReceived;
    private long _udpBytesReceived;
    private long _tunPacketsWritten;
    private long _tunBytesWritten;
    private long _icmpRepliesGenerated;
    private long _icmpRepliesSuppressed;
    private long _superpacketsSplit;
    private long _segmentsProduced;
    private long _superpacketsBuilt;
    private long _segmentsCoalesced;

    /// <summary>The per-peer totals, fed from each tally's <see cref="ForwardingTally.Peers"/>.</summary>
    public PeerCounters Peers { get; } = new();

    /// <summary>Adds the tally to the totals and resets it. Call from the tally's own thread.</summary>
    public void Add(ForwardingTally tally)
    {
        ArgumentNullException.ThrowIfNull(tally);
        AddIfNonZero(ref _tunPacketsRead, tally.TunPacketsRead);
        AddIfNonZero(ref _tunBytesRead, tally.TunBytesRead);
        AddIfNonZero(ref _udpPacketsSent, tally.UdpPacketsSent);
        AddIfNonZero(ref _udpBytesSent, tally.UdpBytesSent);
        AddIfNonZero(ref _udpPacketsReceived, tally.UdpPacketsReceived);
        AddIfNonZero(ref _udpBytesReceived, tally.UdpBytesReceived);
        AddIfNonZero(ref _tunPacketsWritten, tally.TunPacketsWritten);
        AddIfNonZero(ref _tunBytesWritten, tally.TunBytesWritten);
        AddIfNonZero(ref _icmpRepliesGenerated, tally.IcmpRepliesGenerated);
        AddIfNonZero(ref _icmpRepliesSuppressed, tally.IcmpRepliesSuppressed);
        AddIfNonZero(ref _superpacketsSplit, tally.SuperpacketsSplit);
        AddIfNonZero(ref _segmentsProduced, tally.SegmentsProduced);
        AddIfNonZero(ref _superpacketsBuilt, tally.SuperpacketsBuilt);
        AddIfNonZero(ref _segmentsCoalesced, tally.SegmentsCoalesced);
        ReadOnlySpan<long> drops = tally.Drops;
        for (int i = 0; i < drops.Length; i++)
        {
            AddIfNonZero(ref _drops[i], drops[i]);
        }
        ReadOnlySpan<long> batches = tally.Batches;
        for (int i = 0; i < batches.Length; i++)
        {
            AddIfNonZero(ref _batches[i], batches[i]);
        }
        tally.Peers.FlushInto(Peers);
        tally.Reset();
    }

    public ForwardingSnapshot Snapshot() => new(
        TunPacketsRead: Interlocked.Read(ref _tunPacketsRead),
        TunBytesRead: Interlocked.Read(ref _tunBytesRead),
        UdpPacketsSent: Interlocked.Read(ref _udpPacketsSent),
        UdpBytesSent: Interlocked.Read(ref _udpBytesSent),
        UdpPacketsReceived: Interlocked.Read(ref _udpPacketsReceived),
        UdpBytesReceived: Interlocked.Read(ref _udpBytesReceived),
        TunPacketsWritten: Interlocked.Read(ref _tunPacketsWritten),
        TunBytesWritten: Interlocked.Read(ref _tunBytesWritten),
        IcmpRepliesGenerated: Interlocked.Read(ref _icmpRepliesGenerated),
        IcmpRepliesSuppressed: Interlocked.Read(ref _icmpRepliesSuppressed),
        SuperpacketsSplit: Interlocked.Read(ref _superpacketsSplit),
        SegmentsProduced: Interlocked.Read(ref _segmentsProduced),
        SuperpacketsBuilt: Interlocked.Read(ref _superpacketsBuilt),
        SegmentsCoalesced: Interlocked.Read(ref _segmentsCoalesced),
        DroppedTooShort: ReadDrops(DropReason.TooShort),
        DroppedNotIpv4: ReadDrops(DropReason.NotIpv4),
        DroppedBadHeaderLength: ReadDrops(DropReason.BadHeaderLength),
        DroppedTruncated: ReadDrops(DropReason.Truncated),
        DroppedNoRoute: ReadDrops(DropReason.NoRoute),
        DroppedTtlExpired: ReadDrops(DropReason.TtlExpired),
        DroppedSendFailed: ReadDrops(DropReason.SendFailed),
        DroppedTunWriteFailed: ReadDrops(DropReason.TunWriteFailed),
        DroppedBadOffload: ReadDrops(DropReason.BadOffload),
        DroppedUnknownSource: ReadDrops(DropReason.UnknownSource));

    /// <summary>How many pumps on <paramref name="side"/> moved a number of packets in <paramref name="bucket"/> (see <see cref="BatchSizes"/>).</summary>
    public long Batches(BatchSide side, int bucket)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bucket);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bucket, BatchSizes.BucketCount);
        return Interlocked.Read(ref _batches[BatchSizes.Index(side, bucket)]);
    }

    /// <summary>Pumps that moved any packet, both directions and every size together: wake-ups that did work.</summary>
    public long TotalBatches()
    {
        long total = 0;
        for (int i = 0; i < BatchSizes.TableSize; i++)
        {
            total += Interlocked.Read(ref _batches[i]);
        }
        return total;
    }

    private long ReadDrops(DropReason reason) => Interlocked.Read(ref _drops[(int)reason]);

    private static void AddIfNonZero(ref long total, long amount)
    {
        if (amount != 0)
        {
            Interlocked.Add(ref total, amount);
        }
    }
}
