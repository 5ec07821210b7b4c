using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Overlay.DataPlane.Packets;

/// <summary>
/// Builds the ICMP "destination unreachable / net unreachable" (type 3, code 0) that flannel writes back into the
/// TUN device when a packet has no route. Stateless and thread-safe.
/// </summary>
/// <remarks>
/// The reply matches flannel byte for byte: IPv4 version 4, IHL 5, TOS 0, id 0, no flags, TTL 8, protocol 1,
/// source the TUN address, destination the offending packet's source; ICMP type 3, code 0, four zero bytes; the
/// body quotes the offending header and its first 8 payload bytes, and the total length is always
/// 20 + 8 + IHL × 4 + 8. Where the offending packet is shorter than that quote, the rest of the body is zero
/// (flannel would copy stale buffer bytes there).
/// </remarks>
public static class IcmpNetUnreachable
{
    /// <summary>Bytes of offending payload quoted after its header.</summary>
    public const int QuotedPayloadLength = 8;

    /// <summary>The TTL flannel puts on the reply.</summary>
    public const byte ReplyTtl = 8;

    public const byte TypeDestinationUnreachable = 3;
    public const byte CodeNetUnreachable = 0;

    private const int IcmpHeaderLength = 8;
    private const int QuoteOffset = Ipv4Header.MinimumLength + IcmpHeaderLength;

    /// <summary>The longest reply: an offending header of 56 bytes (the longest that still gets a reply).</summary>
    public const int MaximumLength = QuoteOffset + Ipv4Header.MaximumLength - 4 + QuotedPayloadLength;

    /// <summary>
    /// True when flannel would answer this packet: it holds a header with IHL 5..14, is not ICMP itself (RFC 792)
    /// and is not a non-first fragment. Never throws.
    /// </summary>
    public static bool ShouldReply(ReadOnlySpan<byte> offendingPacket)
    {
        if (offendingPacket.Length < Ipv4Header.MinimumLength)
        {
            return false;
        }
        int headerLength = (offendingPacket[0] & 0x0F) * 4;
        return headerLength is >= Ipv4Header.MinimumLength and < Ipv4Header.MaximumLength &&
            offendingPacket[Ipv4Header.ProtocolOffset] != Ipv4Header.ProtocolIcmp &&
            (BinaryPrimitives.ReadUInt16BigEndian(offendingPacket[Ipv4Header.FlagsAndFragmentOffset..]) & 0x1FFF) == 0;
    }

    /// <summary>
    /// Writes the reply to <paramref name="offendingPacket"/> at the start of <paramref name="destination"/> and
    /// returns its length, or returns 0 and writes nothing when <see cref="ShouldReply"/> is false.
    /// </summary>
    /// <param name="offendingPacket">The dropped packet, trimmed to its total length.</param>
    /// <param name="sourceAddress">The TUN device's address (host byte order), the reply's source.</param>
    /// <param name="destination">Room for the reply: at least <see cref="MaximumLength"/> bytes is always enough;
    /// less than the reply needs throws <see cref="ArgumentException"/>.</param>
    public static int Write(ReadOnlySpan<byte> offendingPacket, uint sourceAddress, Span<byte> destination)
    {
        if (!ShouldReply(offendingPacket))
        {
            return 0;
        }
        int offendingHeaderLength = (offendingPacket[0] & 0x0F) * 4;
        int length = QuoteOffset + offendingHeaderLength + QuotedPayloadLength;
        if (destination.Length < length)
        {
            ThrowDestinationTooShort(length, destination.Length);
        }
        Span<byte> reply = destination[..length];
        reply.Clear();

        reply[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(reply[Ipv4Header.TotalLengthOffset..], (ushort)length);
        reply[Ipv4Header.TtlOffset] = ReplyTtl;
        reply[Ipv4Header.ProtocolOffset] = Ipv4Header.ProtocolIcmp;
        BinaryPrimitives.WriteUInt32BigEndian(reply[Ipv4Header.SourceOffset..], sourceAddress);
        offendingPacket.Slice(Ipv4Header.SourceOffset, 4).CopyTo(reply[Ipv4Header.DestinationOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(
            reply[Ipv4Header.ChecksumOffset..], InternetChecksum.Compute(reply[..Ipv4Header.MinimumLength]));

        Span<byte> icmp = reply[Ipv4Header.MinimumLength..];
        icmp[0] = TypeDestinationUnreachable;
        icmp[1] = CodeNetUnreachable;
        int quoted = Math.Min(offendingPacket.Length, offendingHeaderLength + QuotedPayloadLength);
        offendingPacket[..quoted].CopyTo(icmp[IcmpHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], InternetChecksum.Compute(icmp));
        return length;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDestinationTooShort(int needed, int available) =>
        throw new ArgumentException($"The reply needs {needed} bytes; the destination holds {available}.", "destination");
}
