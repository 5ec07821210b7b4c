using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// TUN → UDP for one TUN queue. Per batch: <see cref="ITunQueue.Read"/> → <see cref="OutboundProcessor.Process"/>
/// → <see cref="IUdpBatchSocket.Send"/> → <see cref="ITunWriter.Write(PacketBatch)"/> of any ICMP replies → one flush of the
/// thread's tally into the shared <see cref="ForwardingCounters"/>.
/// </summary>
/// <remarks>
/// Owns its two batches, allocated here once; the steady state allocates nothing. Single-threaded: one thread runs
/// <see cref="PumpOnce"/> or <see cref="Run"/>. Packets the socket did not accept are counted as
/// <see cref="DropReason.SendFailed"/>, replies the TUN did not accept as <see cref="DropReason.TunWriteFailed"/>.
/// </remarks>
public sealed class OutboundLoop : ForwardingLoop
{
    private readonly ITunQueue _tun;
    // ICMP replies go back into the queue from this thread, with scratch of its own (the inbound thread writes too).
    private readonly ITunWriter _replyWriter;
    private readonly IUdpBatchSocket _udp;
    private readonly OutboundProcessor _processor;
    private readonly ForwardingCounters _counters;
    private readonly PacketBatch _packets;
    private readonly PacketBatch _replies;
    private readonly ForwardingTally _tally = new();

    /// <param name="tun">The queue packets are read from and ICMP replies written to.</param>
    /// <param name="udp">The socket packets are sent on.</param>
    /// <param name="processor">Routes packets; may be shared with other outbound loops.</param>
    /// <param name="counters">Shared totals this loop adds to once per batch.</param>
    /// <param name="batchCapacity">Most packets moved per batch.</param>
    /// <param name="slotSize">Largest packet read from the TUN device (its MTU or more).</param>
    /// <param name="name">Thread and log name.</param>
    public OutboundLoop(
        ITunQueue tun,
        IUdpBatchSocket udp,
        OutboundProcessor processor,
        ForwardingCounters counters,
        int batchCapacity,
        int slotSize,
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
        _packets = new PacketBatch(batchCapacity, slotSize);
        _replies = new PacketBatch(batchCapacity, IcmpNetUnreachable.MaximumLength);
    }

    public override bool PumpOnce()
    {
        if (!_tun.Read(_packets))
        {
            return false;
        }
        int read = _packets.Count;
        _tally.AddTunRead(read, PendingPackets.TotalBytes(_packets));
        _tally.AddBatch(BatchSide.Outbound, read);
        _replies.Count = 0;
        _processor.Process(_packets, _replies, _tally);

        BatchHandoff.Send(_udp, _packets, _tally);
        BatchHandoff.Write(_replyWriter, _replies, _tally);

        _counters.Add(_tally);
        return true;
    }
}
