using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;

namespace Overlay.DataPlane.Offload;

/// <summary>
/// UDP → TUN for one socket, writing to a TUN queue opened with offloads. Per batch:
/// <see cref="IUdpBatchSocket.Receive"/> → <see cref="InboundProcessor.Process"/> → <see cref="GroCoalescer.Coalesce(PacketBatch, GatheredPackets)"/>
/// → a gathered <see cref="ITunWriter.Write(PacketBatch, GatheredPackets)"/> of the superpackets and plain packets,
/// straight from the receive batch → one flush of the thread's tally into the
/// shared <see cref="ForwardingCounters"/>.
/// </summary>
/// <remarks>
/// <para>The tally counts plain packets, as a TUN without offloads would have taken them: a superpacket written counts
/// as the packets merged into it, with their bytes, so packets received = written + dropped as for
/// <see cref="InboundLoop"/>. A superpacket the TUN refused counts each of its packets as
/// <see cref="DropReason.TunWriteFailed"/>. Superpackets and the packets merged into them are counted in the tally's
/// superpacket totals, and in this loop's own properties.</para>
/// <para>Owns its batch, gather list and coalescer, allocated here once; the steady state allocates nothing.
/// Single-threaded: one thread runs <see cref="PumpOnce"/> or <see cref="Run"/>; the counter properties may be read
/// from any thread.</para>
/// </remarks>
public sealed class CoalescingInboundLoop : ForwardingLoop
{
    private readonly IUdpBatchSocket _udp;
    private readonly ITunWriter _tun;
    private readonly InboundProcessor _processor;
    private readonly ForwardingCounters _counters;
    private readonly PacketBatch _packets;
    private readonly GatheredPackets _superpackets;
    private readonly GroCoalescer _coalescer;
    private readonly ForwardingTally _tally = new();
    private long _superpacketsBuilt;
    private long _segmentsCoalesced;

    /// <param name="udp">The socket datagrams are received on.</param>
    /// <param name="tun">The offload queue packets and superpackets are written to.</param>
    /// <param name="processor">Checks datagrams and their senders; may be shared with other inbound loops.</param>
    /// <param name="counters">Shared totals this loop adds to once per batch.</param>
    /// <param name="batchCapacity">Most datagrams moved per batch.</param>
    /// <param name="slotSize">Largest datagram accepted (the TUN MTU or more).</param>
    /// <param name="name">Thread and log name.</param>
    /// <param name="mergeUdp">Merge UDP datagrams as well as TCP segments: only for a TUN that accepted USO4.</param>
    public CoalescingInboundLoop(
        IUdpBatchSocket udp,
        ITunQueue tun,
        InboundProcessor processor,
        ForwardingCounters counters,
        int batchCapacity,
        int slotSize,
        string name = "udp-to-tun",
        bool mergeUdp = false)
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(udp);
        ArgumentNullException.ThrowIfNull(tun);
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slotSize, OffloadLimits.MaximumPacketLength);
        _udp = udp;
        _tun = tun.CreateWriter();
        _processor = processor;
        _counters = counters;
        _packets = new PacketBatch(batchCapacity, slotSize);
        _superpackets = new GatheredPackets(batchCapacity);
        _coalescer = new GroCoalescer(batchCapacity, mergeUdp);
    }

    /// <summary>Superpackets of two or more segments written to the TUN (or offered to it, when it refused).</summary>
    public long SuperpacketsBuilt => Volatile.Read(ref _superpacketsBuilt);

    /// <summary>Packets merged into those superpackets.</summary>
    public long SegmentsCoalesced => Volatile.Read(ref _segmentsCoalesced);

    public override bool PumpOnce()
    {
        if (!_udp.Receive(_packets))
        {
            return false;
        }
        int received = _packets.Count;
        _tally.AddUdpReceived(received, PendingPackets.TotalBytes(_packets));
        _tally.AddBatch(BatchSide.Inbound, received);
        _processor.Process(_packets, _tally);
        CoalescingResult result = _coalescer.Coalesce(_packets, _superpackets);

        int pending = _superpackets.Count;
        if (pending > 0)
        {
            BatchHandoff.Write(_tun, _packets, _superpackets);
            int packetsWritten = 0;
            long bytesWritten = 0;
            int packetsRefused = 0;
            for (int slot = 0; slot < pending; slot++)
            {
                int packets = _superpackets.Pieces(slot);
                if (_superpackets.Outcome(slot) == SlotOutcome.Done)
                {
                    packetsWritten += packets;
                    bytesWritten += PlainBytes(slot, packets);
                    BatchHandoff.CountDeliveredMerge(_packets, _superpackets, slot, _tally.Peers);
                }
                else
                {
                    packetsRefused += packets;
                }
            }
            _tally.AddTunWritten(packetsWritten, bytesWritten);
            _tally.AddDrop(DropReason.TunWriteFailed, packetsRefused);
        }

        _tally.AddSuperpacketsBuilt(result.Superpackets, result.MergedPackets);
        Volatile.Write(ref _superpacketsBuilt, _superpacketsBuilt + result.Superpackets);
        Volatile.Write(ref _segmentsCoalesced, _segmentsCoalesced + result.MergedPackets);
        _counters.Add(_tally);
        return true;
    }

    /// <summary>The bytes of the plain packets in a superpacket: every merged segment brought its own copy of the headers.</summary>
    private long PlainBytes(int slot, int packets) =>
        _superpackets.Length(slot) + (long)(packets - 1) * _superpackets.TailOffset(slot);
}
