using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// UDP → TUN for one socket. Per batch: <see cref="IUdpBatchSocket.Receive"/> → <see cref="InboundProcessor.Process"/>
/// → <see cref="ITunWriter.Write(PacketBatch)"/> → one flush of the thread's tally into the shared <see cref="ForwardingCounters"/>.
/// </summary>
/// <remarks>
/// Owns its batch, allocated here once; the steady state allocates nothing. Single-threaded: one thread runs
/// <see cref="PumpOnce"/> or <see cref="Run"/>. Packets the TUN did not accept are counted as
/// <see cref="DropReason.TunWriteFailed"/>.
/// </remarks>
public sealed class InboundLoop : ForwardingLoop
{
    private readonly IUdpBatchSocket _udp;
    private readonly ITunWriter _tun;
    private readonly InboundProcessor _processor;
    private readonly ForwardingCounters _counters;
    private readonly PacketBatch _packets;
    private readonly ForwardingTally _tally = new();

    /// <param name="udp">The socket datagrams are received on.</param>
    /// <param name="tun">The queue packets are written to.</param>
    /// <param name="processor">Checks datagrams and their senders; may be shared with other inbound loops.</param>
    /// <param name="counters">Shared totals this loop adds to once per batch.</param>
    /// <param name="batchCapacity">Most datagrams moved per batch.</param>
    /// <param name="slotSize">Largest datagram accepted (the TUN MTU or more).</param>
    /// <param name="name">Thread and log name.</param>
    public InboundLoop(
        IUdpBatchSocket udp,
        ITunQueue tun,
        InboundProcessor processor,
        ForwardingCounters counters,
        int batchCapacity,
        int slotSize,
        string name = "udp-to-tun")
        : base(name)
    {
        ArgumentNullException.ThrowIfNull(udp);
        ArgumentNullException.ThrowIfNull(tun);
        ArgumentNullException.ThrowIfNull(processor);
        ArgumentNullException.ThrowIfNull(counters);
        _udp = udp;
        _tun = tun.CreateWriter();
        _processor = processor;
        _counters = counters;
        _packets = new PacketBatch(batchCapacity, slotSize);
    }

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

        BatchHandoff.Deliver(_tun, _packets, _tally);

        _counters.Add(_tally);
        return true;
    }
}
