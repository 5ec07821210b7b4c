using Overlay.DataPlane.Capture;
using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// TUN → UDP, per batch: validate and trim each packet, look its destination up in the route table, answer a
/// missing route with an ICMP net-unreachable for the TUN (within the reply limit, if one is set), drop an expiring TTL, decrement the TTL, and set the
/// slot's endpoint to the route's next hop, counting it for that peer. Dropped slots get length 0 and are counted in
/// the caller's tally.
/// </summary>
/// <remarks>
/// Thread-safe: one instance may serve several forwarding threads, each with its own batches and tally. The route
/// table is read once per batch, so a batch is routed entirely by one snapshot. Allocation-free.
/// </remarks>
public sealed class OutboundProcessor
{
    private readonly RouteTableHolder _routes;
    private readonly IcmpReplyLimiter? _replyLimiter;
    private uint _localAddress;

    /// <param name="routes">Where each batch's route table comes from.</param>
    /// <param name="localAddress">See <see cref="LocalAddress"/>.</param>
    /// <param name="replyLimiter">Limits ICMP replies across every thread this processor serves; null answers every
    /// unrouted packet, as flannel does.</param>
    public OutboundProcessor(RouteTableHolder routes, uint localAddress = 0, IcmpReplyLimiter? replyLimiter = null)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _routes = routes;
        _localAddress = localAddress;
        _replyLimiter = replyLimiter;
    }

    /// <summary>
    /// Where a running <c>overlayctl capture</c> copies packets, once per batch after processing (dropped slots are
    /// skipped). Costs one volatile read per batch while no capture runs. Null: no capture support.
    /// </summary>
    public CaptureTap? Capture { get; set; }

    /// <summary>
    /// The TUN device's address (host byte order), the source of ICMP replies. The daemon updates it when its lease
    /// changes; each batch reads it once. 0 means not yet known, and suppresses replies.
    /// </summary>
    public uint LocalAddress
    {
        get => Volatile.Read(ref _localAddress);
        set => Volatile.Write(ref _localAddress, value);
    }

    /// <summary>
    /// Processes slots <c>0..packets.Count-1</c> in place and appends any ICMP replies to <paramref name="replies"/>
    /// (from its current <c>Count</c>, while capacity lasts; a reply that does not fit is not generated).
    /// </summary>
    /// <param name="packets">Packets read from the TUN device; on return each slot is either ready to send
    /// (length trimmed, TTL decremented, endpoint set) or dropped (length 0).</param>
    /// <param name="replies">Where replies for the TUN go; slots must hold <see cref="IcmpNetUnreachable.MaximumLength"/>
    /// bytes, or <see cref="ArgumentException"/> is thrown before any packet is touched.</param>
    /// <param name="tally">The calling thread's tally: receives drops, generated replies and replies the limit
    /// suppressed (an unrouted packet is a <see cref="DropReason.NoRoute"/> drop either way).</param>
    public void Process(PacketBatch packets, PacketBatch replies, ForwardingTally tally)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(replies);
        ArgumentNullException.ThrowIfNull(tally);
        if (replies.SlotSize < IcmpNetUnreachable.MaximumLength)
        {
            throw new ArgumentException(
                $"Reply slots must hold {IcmpNetUnreachable.MaximumLength} bytes; these hold {replies.SlotSize}.", nameof(replies));
        }

        RouteTable table = _routes.Current;
        tally.Peers.Bind(table);
        uint localAddress = LocalAddress;
        Span<int> lengths = packets.Lengths;
        Span<PeerEndpoint> endpoints = packets.Endpoints;
        int count = packets.Count;
        for (int i = 0; i < count; i++)
        {
            if (!PacketValidator.TryAdmit(packets.Slot(i), ref lengths[i], tally, out Span<byte> packet))
            {
                continue;
            }

            uint destination = BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4Header.DestinationOffset..]);
            if (!table.TryLookup(destination, out PeerEndpoint nextHop, out int peerIndex))
            {
                lengths[i] = 0;
                tally.AddDrop(DropReason.NoRoute);
                if (localAddress != 0 && replies.Count < replies.Capacity && IcmpNetUnreachable.ShouldReply(packet))
                {
                    if (_replyLimiter is not null && !_replyLimiter.TryTake())
                    {
                        tally.AddIcmpReplySuppressed();
                        continue;
                    }
                    int replyLength = IcmpNetUnreachable.Write(packet, localAddress, replies.Slot(replies.Count));
                    if (replyLength > 0)
                    {
                        replies.Length(replies.Count) = replyLength;
                        replies.Count++;
                        tally.AddIcmpReply();
                    }
                }
                continue;
            }

            if (!TtlDecrement.TryApply(packet))
            {
                lengths[i] = 0;
                tally.AddDrop(DropReason.TtlExpired);
                continue;
            }
            endpoints[i] = nextHop;
            // Counted for the peer once the send's outcome is known (BatchHandoff.Send), not before.
            packets.Peer(i) = peerIndex;
        }
        Capture?.Offer(packets, CaptureDirection.Outbound);
    }
}
