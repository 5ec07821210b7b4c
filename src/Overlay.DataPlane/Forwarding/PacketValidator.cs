using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// The header checks both directions apply before touching a packet. Stricter than flannel, which checks only the
/// 20-byte minimum: the extra checks catch what flannel would forward as garbage, and none changes a well-formed
/// packet. Stateless and thread-safe.
/// </summary>
public static class PacketValidator
{
    /// <summary>
    /// Checks, in order: at least 20 bytes (<see cref="DropReason.TooShort"/>), version 4
    /// (<see cref="DropReason.NotIpv4"/>), IHL ≥ 5 with the header inside both the received bytes and the total length
    /// (<see cref="DropReason.BadHeaderLength"/>), total length within the received bytes
    /// (<see cref="DropReason.Truncated"/>). Returns <see cref="DropReason.None"/> when all pass.
    /// </summary>
    /// <param name="received">The bytes as read from the TUN device or the UDP socket.</param>
    /// <param name="packetLength">On success, the total length from the header: anything received past it is
    /// padding the caller should trim. 0 on failure.</param>
    public static DropReason Validate(ReadOnlySpan<byte> received, out int packetLength)
    {
        packetLength = 0;
        if (received.Length < Ipv4Header.MinimumLength)
        {
            return DropReason.TooShort;
        }
        int versionAndIhl = received[0];
        if (versionAndIhl >> 4 != 4)
        {
            return DropReason.NotIpv4;
        }
        int headerLength = (versionAndIhl & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(received[Ipv4Header.TotalLengthOffset..]);
        if (headerLength < Ipv4Header.MinimumLength || headerLength > received.Length || totalLength < headerLength)
        {
            return DropReason.BadHeaderLength;
        }
        if (totalLength > received.Length)
        {
            return DropReason.Truncated;
        }
        packetLength = totalLength;
        return DropReason.None;
    }

    /// <summary>
    /// The per-slot prologue of both processors: checks the received length against the slot, then the header
    /// (<see cref="Validate"/>). On success trims <paramref name="length"/> to the header's total length and returns
    /// that packet; on failure sets <paramref name="length"/> to 0 (the slot is dropped) and counts the reason.
    /// </summary>
    /// <param name="slot">The whole slot, <see cref="Buffers.PacketBatch.SlotSize"/> bytes.</param>
    /// <param name="length">The slot's length entry, as the source reported it.</param>
    /// <param name="tally">The calling thread's tally.</param>
    /// <param name="packet">The validated packet, without padding; empty on failure.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool TryAdmit(Span<byte> slot, ref int length, ForwardingTally tally, out Span<byte> packet)
    {
        packet = default;
        int received = length;
        if ((uint)received > (uint)slot.Length)
        {
            // A source that reports more than a slot holds broke its contract; never read past the slot.
            length = 0;
            tally.AddDrop(DropReason.Truncated);
            return false;
        }
        DropReason reason = Validate(slot[..received], out int packetLength);
        if (reason != DropReason.None)
        {
            length = 0;
            tally.AddDrop(reason);
            return false;
        }
        packet = slot[..packetLength];
        length = packetLength;
        return true;
    }
}
