namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// One forwarding thread's running counts since its last flush into <see cref="ForwardingCounters"/>.
/// Plain fields bumped per packet without atomics; flushed once per batch.
/// </summary>
/// <remarks>Not thread-safe: a tally belongs to the one thread that fills it and flushes it.</remarks>
public sealed class ForwardingTally
{
    private readonly long[] _drops = new long[DropReasons.TableSize];
    private readonly long[] _batches = new long[BatchSizes.TableSize];

    public long TunPacketsRead { get; private set; }

    public long TunBytesRead { get; private set; }

    public long UdpPacketsSent { get; private set; }

    public long UdpBytesSent { get; private set; }

    public long UdpPacketsReceived { get; private set; }

    public long UdpBytesReceived { get; private set; }

    public long TunPacketsWritten { get; private set; }

    public long TunBytesWritten { get; private set; }

    public long IcmpRepliesGenerated { get; private set; }

    /// <summary>Unrouted packets that would have been answered but for the ICMP reply limit.</summary>
    public long IcmpRepliesSuppressed { get; private set; }

    /// <summary>Superpackets read from an offload TUN and cut into plain packets.</summary>
    public long SuperpacketsSplit { get; private set; }

    /// <summary>Plain packets those superpackets were cut into.</summary>
    public long SegmentsProduced { get; private set; }

    /// <summary>Superpackets of two or more packets merged for an offload TUN (written or refused).</summary>
    public long SuperpacketsBuilt { get; private set; }

    /// <summary>Plain packets merged into those superpackets.</summary>
    public long SegmentsCoalesced { get; private set; }

    /// <summary>Per-peer packet and byte counts, flushed with the rest of the tally.</summary>
    public PeerTally Peers { get; } = new();

    /// <summary>Drops per reason, indexed by <see cref="DropReason"/>; the <see cref="DropReason.None"/> entry stays 0.</summary>
    public ReadOnlySpan<long> Drops => _drops;

    public void AddTunRead(int packets, long bytes)
    {
        TunPacketsRead += packets;
        TunBytesRead += bytes;
    }

    public void AddUdpSent(int packets, long bytes)
    {
        UdpPacketsSent += packets;
        UdpBytesSent += bytes;
    }

    public void AddUdpReceived(int packets, long bytes)
    {
        UdpPacketsReceived += packets;
        UdpBytesReceived += bytes;
    }

    public void AddTunWritten(int packets, long bytes)
    {
        TunPacketsWritten += packets;
        TunBytesWritten += bytes;
    }

    public void AddIcmpReply() => IcmpRepliesGenerated++;

    public void AddIcmpReplySuppressed() => IcmpRepliesSuppressed++;

    public void AddSuperpacketsSplit(int superpackets, int segments)
    {
        SuperpacketsSplit += superpackets;
        SegmentsProduced += segments;
    }

    public void AddSuperpacketsBuilt(int superpackets, int segments)
    {
        SuperpacketsBuilt += superpackets;
        SegmentsCoalesced += segments;
    }

    /// <summary>Counts <paramref name="packets"/> drops under <paramref name="reason"/>; <see cref="DropReason.None"/> is ignored.</summary>
    public void AddDrop(DropReason reason, int packets = 1)
    {
        if (reason != DropReason.None)
        {
            _drops[(int)reason] += packets;
        }
    }

    public long DropsFor(DropReason reason) => _drops[(int)reason];

    /// <summary>Counts one pump that moved <paramref name="packets"/> packets; an empty pump is not a batch.</summary>
    public void AddBatch(BatchSide side, int packets)
    {
        if (packets > 0)
        {
            _batches[BatchSizes.Index(side, BatchSizes.BucketOf(packets))]++;
        }
    }

    /// <summary>Batches per side and size bucket, indexed side × <see cref="BatchSizes.BucketCount"/> + bucket.</summary>
    public ReadOnlySpan<long> Batches => _batches;

    public void Reset()
    {
        TunPacketsRead = 0;
        TunBytesRead = 0;
        UdpPacketsSent = 0;
        UdpBytesSent = 0;
        UdpPacketsReceived = 0;
        UdpBytesReceived = 0;
        TunPacketsWritten = 0;
        TunBytesWritten = 0;
        IcmpRepliesGenerated = 0;
        IcmpRepliesSuppressed = 0;
        SuperpacketsSplit = 0;
        SegmentsProduced = 0;
        SuperpacketsBuilt = 0;
        SegmentsCoalesced = 0;
        Array.Clear(_drops);
        Array.Clear(_batches);
        Peers.Reset();
    }
}
