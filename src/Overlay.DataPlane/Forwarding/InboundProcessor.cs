using Overlay.DataPlane.Capture;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// UDP → TUN, per batch: validate and trim each datagram's IPv4 packet, drop it when its sender is not a known peer,
/// drop an expiring TTL, decrement the TTL, and count what passes for its peer. Dropped slots get length 0 and are
/// counted in the caller's tally.
/// </summary>
/// <remarks>
/// <para>The source check is stricter than flannel, which writes whatever reaches its port into the TUN device: a
/// datagram whose source address is not the public address of a next hop in the current route table is dropped as
/// <see cref="DropReason.UnknownSource"/>. Only the address is compared, not the port. The check runs after the
/// header validation, so malformed datagrams keep their own reasons whoever sent them, and before the TTL is touched.
/// Turn it off (<see cref="DropUnknownSources"/>) where peers reach each other through NAT and arrive from addresses
/// other than the ones they announce. Like flannel, the destination is not checked: the kernel routes what comes out
/// of the TUN device.</para>
/// <para>Thread-safe: one instance may serve several forwarding threads, each with its own batches and tally. The
/// route table and the switch are read once per batch, so a batch is checked entirely by one snapshot.
/// Allocation-free.</para>
/// </remarks>
public sealed class InboundProcessor
{
    private readonly RouteTableHolder _routes;
    private bool _dropUnknownSources;

    /// <param name="routes">Where the current route table, and so the set of known peers, is read from.</param>
    /// <param name="dropUnknownSources">The initial value of <see cref="DropUnknownSources"/>.</param>
    public InboundProcessor(RouteTableHolder routes, bool dropUnknownSources = true)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = routes;
        _dropUnknownSources = dropUnknownSources;
    }

    /// <summary>
    /// Where a running <c>overlayctl capture</c> copies packets, once per batch after processing (dropped slots are
    /// skipped). Costs one volatile read per batch while no capture runs. Null: no capture support.
    /// </summary>
    public CaptureTap? Capture { get; set; }

    /// <summary>
    /// Whether datagrams from addresses that are not known peers are dropped (the default). May be changed from any
    /// thread; each batch reads it once.
    /// </summary>
    public bool DropUnknownSources
    {
        get => Volatile.Read(ref _dropUnknownSources);
        set => Volatile.Write(ref _dropUnknownSources, value);
    }

    /// <summary>Processes slots <c>0..packets.Count-1</c> in place; on return each is ready for the TUN or has length 0.</summary>
    /// <param name="packets">Datagrams as received, each slot's endpoint its sender.</param>
    /// <param name="tally">The calling thread's tally: receives the drops.</param>
    public void Process(PacketBatch packets, ForwardingTally tally)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(tally);
        RouteTable table = _routes.Current;
        bool dropUnknownSources = DropUnknownSources;
        PeerTally peers = tally.Peers;
        peers.Bind(table);
        Span<int> lengths = packets.Lengths;
        ReadOnlySpan<PeerEndpoint> senders = packets.Endpoints;
        int count = packets.Count;
        // A batch is mostly runs from one sender (a GRO message is split into consecutive slots): look each run's
        // sender up once.
        uint lastSender = 0;
        bool known = false;
        int peerIndex = -1;
        bool cached = false;
        for (int i = 0; i < count; i++)
        {
            if (!PacketValidator.TryAdmit(packets.Slot(i), ref lengths[i], tally, out Span<byte> packet))
            {
                continue;
            }
            uint sender = senders[i].Address;
            if (!cached || sender != lastSender)
            {
                known = table.TryGetPeerIndex(sender, out peerIndex);
                lastSender = sender;
                cached = true;
            }
            if (!known && dropUnknownSources)
            {
                lengths[i] = 0;
                tally.AddDrop(DropReason.UnknownSource);
                continue;
            }
            if (!TtlDecrement.TryApply(packet))
            {
                lengths[i] = 0;
                tally.AddDrop(DropReason.TtlExpired);
                continue;
            }
            // Counted for the peer once the TUN write's outcome is known (BatchHandoff.Deliver), not before.
            packets.Peer(i) = known ? peerIndex : -1;
        }
        Capture?.Offer(packets, CaptureDirection.Inbound);
    }
}
