using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// UDP → TUN, per batch: validate and trim each datagram's IPv4 packet, drop an expiring TTL, decrement the TTL.
/// Like flannel, the destination is not checked against the local subnet and the sender is not checked at all:
/// the kernel routes what comes out of the TUN device. Dropped slots get length 0 and are counted.
/// </summary>
/// <remarks>Stateless, thread-safe and allocation-free; each thread passes its own batch and tally.</remarks>
public static class InboundProcessor
{
    /// <summary>Processes slots <c>0..packets.Count-1</c> in place; on return each is ready for the TUN or has length 0.</summary>
    public static void Process(PacketBatch packets, ForwardingTally tally)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(tally);
        Span<int> lengths = packets.Lengths;
        int count = Math.Min(packets.Count, packets.Capacity);
        int slotSize = packets.SlotSize;
        for (int i = 0; i < count; i++)
        {
            int received = lengths[i];
            if ((uint)received > (uint)slotSize)
            {
                lengths[i] = 0;
                tally.AddDrop(DropReason.Truncated);
                continue;
            }
            Span<byte> packet = packets.Slot(i)[..received];
            DropReason reason = PacketValidator.Validate(packet, out int packetLength);
            if (reason != DropReason.None)
            {
                lengths[i] = 0;
                tally.AddDrop(reason);
                continue;
            }
            if (!TtlDecrement.TryApply(packet))
            {
                lengths[i] = 0;
                tally.AddDrop(DropReason.TtlExpired);
                continue;
            }
            lengths[i] = packetLength;
        }
    }
}
