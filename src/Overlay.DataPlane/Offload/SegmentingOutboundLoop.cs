using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>
/// TUN → UDP for one TUN queue opened with offloads. Per batch: <see cref="ITunQueue.Read"/> of superpackets, then,
/// until every one of them is handled: <see cref="SuperpacketSegmenter.Segment"/> into MTU-sized packets →
/// <see cref="OutboundProcessor.Process"/> → <see cref="IUdpBatchSocket.Send"/> → <see cref="ITunWriter.Write(PacketBatch)"/> of any
/// ICMP replies; finally one flush of the thread's tally into the shared <see cref="ForwardingCounters"/>.
/// </summary>
/// <remarks>
/// <para>The tally counts plain packets, as a TUN without offloads would have read them: each segment (and each
/// superpacket the segmenter dropped) is one packet read, so packets read = sent + dropped as for
/// <see cref="OutboundLoop"/>. Superpackets and the segments cut from them are counted in the tally's superpacket
/// totals, and in this loop's own properties.</para>
/// <para>Each superpacket's segments stay consecutive in the send batch, all to one endpoint and all but the last of
/// one length, which is what lets the socket send them with one UDP_SEGMENT message.</para>
/// <para>Owns its three batches, allocated here once; the steady state allocates nothing. Single-threaded: one thread
/// runs <see cref="PumpOnce"/> or <see cref="Run"/>; the counter properties may be read from any thread.</para>
/// </remarks>
public sealed class SegmentingOutboundLoop : ForwardingLoop
{
    private readonly ITunQueue _tun;
    // ICMP replies go back into the queue from this thread, with scratch of its own (the inbound thread writes too).
    private readonly ITunWriter _replyWriter;
    private readonly IUdpBatchSocket _udp;
    private readonly OutboundProcessor _processor;
    private readonly ForwardingCounters _counters;
    private readonly PacketBatch _superpackets;
    private readonly PacketBatch _segments;
    private readonly PacketBatch _replies;
    private readonly ForwardingTally _tally = new();
    private long _superpacketsSplit;
    private long _segmentsProduced;
    private long _sendRounds;

    /// <param name="tun">The offload queue superpackets are read from and ICMP replies written to.</param>
    /// <param name="udp">The socket segments are sent on.</param>
    /// <param name="processor">Routes packets; may be shared with other outbound loops.</param>
    /// <param name="counters">Shared totals this loop adds to once per batch.</param>
    /// <param name="superpacketCapacity">Most superpackets read per batch; each slot holds
    /// <see cref="OffloadLimits.MaximumPacketLength"/> bytes.</param>
    /// <param name="segmentCapacity">Most packets per send. A superpacket cut into more segments than this is dropped,
    /// so allow for 65,535 bytes at the smallest MSS expected (46 at a 1,472-byte MTU; 128 covers an MSS of 512).</param>
    /// <param name="mtu">The TUN MTU: the largest segment, and the segment slot size.</param>
    /// <param name="name">Thread and log name.</param>
    public SegmentingOutboundLoop(
        ITunQueue tun,
        IUdpBatchSocket udp,
        OutboundProcessor processor,
        ForwardingCounters counters,
        int superpacketCapacity,
        int segmentCapacity,
        int mtu,
        string name = "tun-to-udp")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(tun);
        ArgumentNullException.ThrowIfNull(udp);
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(counters);
        _tun = tun;
        _replyWriter = tun.CreateWriter();
        _udp = udp;
        _processor = processor;
        _counters = counters;
        _superpackets = new PacketBatch(superpacketCapacity, OffloadLimits.MaximumPacketLength);
        _segments = new PacketBatch(segmentCapacity, mtu);
        _replies = new PacketBatch(segmentCapacity, IcmpNetUnreachable.MaximumLength);
    }

    /// <summary>Superpackets (GSO type other than none) read and cut into segments.</summary>
    public long SuperpacketsSplit => Volatile.Read(ref _superpacketsSplit);

    /// <summary>Segments those superpackets gave.</summary>
    public long SegmentsProduced => Volatile.Read(ref _segmentsProduced);

    /// <summary>Sends issued: more than the batches read when a batch's segments did not fit one send.</summary>
    public long SendRounds => Volatile.Read(ref _sendRounds);

    public override bool PumpOnce()
    {
        if (!_tun.Read(_superpackets))
        {
            return false;
        }
        int count = _superpackets.Count;
        long split = 0;
        long produced = 0;
        long rounds = 0;
        int plainPackets = 0;
        // Bounded by the batch: every round consumes at least one superpacket, since an empty segment batch
        // takes any superpacket that can ever fit, and the segmenter drops the rest.
        for (int next = 0; next < count; rounds++)
        {
            _segments.Count = 0;
            SegmentationProgress progress = SuperpacketSegmenter.Segment(_superpackets, next, _segments, _tally);
            if (progress.Consumed <= 0)
            {
                throw new InvalidOperationException("The segmenter consumed nothing from an empty segment batch.");
            }
            next += progress.Consumed;
            split += progress.Split;
            produced += progress.SplitSegments;
            _tally.AddSuperpacketsSplit(progress.Split, progress.SplitSegments);
            _tally.AddTunRead(progress.Appended + progress.Dropped, PendingPackets.TotalBytes(_segments) + progress.DroppedBytes);
            plainPackets += progress.Appended + progress.Dropped;
            Forward();
        }

        // A read's batch counts the plain packets its superpackets carried, as a TUN without offloads would have read them.
        _tally.AddBatch(BatchSide.Outbound, plainPackets);
        Volatile.Write(ref _superpacketsSplit, _superpacketsSplit + split);
        Volatile.Write(ref _segmentsProduced, _segmentsProduced + produced);
        Volatile.Write(ref _sendRounds, _sendRounds + rounds);
        _counters.Add(_tally);
        return true;
    }

    private void Forward()
    {
        _replies.Count = 0;
        _processor.Process(_segments, _replies, _tally);

        BatchHandoff.Send(_udp, _segments, _tally);
        BatchHandoff.Write(_replyWriter, _replies, _tally);
    }
}
