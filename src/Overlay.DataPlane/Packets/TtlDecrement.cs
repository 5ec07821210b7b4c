using System.Buffers.Binary;

namespace Overlay.DataPlane.Packets;

/// <summary>
/// The per-hop TTL decrement flannel applies in both directions, with the header checksum patched incrementally
/// (RFC 1624 eqn. 3) instead of recomputed. Stateless and thread-safe.
/// </summary>
public static class TtlDecrement
{
    // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), where m is the TTL/protocol word and m' = m - 0x0100.
    // ~m + m' = 0xFFFF - m + m - 0x0100, the same constant for every header.
    private const uint ComplementedOldPlusNewWord = 0xFEFF;

    /// <summary>
    /// Decrements the TTL of the header at the start of <paramref name="packet"/> and patches its checksum.
    /// Returns false and leaves the header untouched when the TTL is 0 or 1: the packet must be dropped
    /// (silently, as flannel does; a TTL of 0 is not wrapped to 255).
    /// </summary>
    /// <remarks>
    /// The result is bit-identical to a full recomputation of a header whose checksum was correct, including the
    /// case where the new checksum is 0x0000 (eqn. 2, HC + 0x0100, would give 0xFFFF there). A header that stored
    /// 0xFFFF for a zero checksum is handled too. <paramref name="packet"/> must hold at least 20 bytes.
    /// </remarks>
    public static bool TryApply(Span<byte> packet)
    {
        byte ttl = Ipv4Header.Ttl(packet);
        if (ttl <= 1)
        {
            return false;
        }
        packet[Ipv4Header.TtlOffset] = (byte)(ttl - 1);
        Span<byte> checksumField = packet.Slice(Ipv4Header.ChecksumOffset, 2);
        uint sum = (ushort)~BinaryPrimitives.ReadUInt16BigEndian(checksumField) + ComplementedOldPlusNewWord;
        // At most 0xFFFF + 0xFEFF, so one fold leaves no carry.
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(checksumField, (ushort)~sum);
        return true;
    }
}
