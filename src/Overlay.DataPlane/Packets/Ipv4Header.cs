using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Overlay.DataPlane.Packets;

/// <summary>
/// Field accessors for an IPv4 header held at the start of a span (RFC 791 layout, network byte order).
/// Addresses are returned in host byte order, as <see cref="Routing.Ipv4"/> uses them.
/// </summary>
/// <remarks>
/// Every accessor first checks that the span holds at least <see cref="MinimumLength"/> bytes and throws
/// <see cref="ArgumentException"/> otherwise, so a short buffer can never be read past its end. Accessors do not
/// validate the header itself (version, IHL, total length): that is <see cref="Forwarding.PacketValidator"/>'s job,
/// which runs first on the forwarding path so these checks never fire there. Stateless and thread-safe.
/// </remarks>
public static class Ipv4Header
{
    /// <summary>Size of a header without options (IHL 5).</summary>
    public const int MinimumLength = 20;

    /// <summary>Size of a header with the most options IHL can express (IHL 15).</summary>
    public const int MaximumLength = 60;

    public const int TotalLengthOffset = 2;
    public const int IdentificationOffset = 4;
    public const int FlagsAndFragmentOffset = 6;
    public const int TtlOffset = 8;
    public const int ProtocolOffset = 9;
    public const int ChecksumOffset = 10;
    public const int SourceOffset = 12;
    public const int DestinationOffset = 16;

    public const byte ProtocolIcmp = 1;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    /// <summary>The version nibble: 4 for IPv4 (an IPv6 packet read as IPv4 shows 6 here).</summary>
    public static int Version(ReadOnlySpan<byte> packet) => EnsureHeader(packet)[0] >> 4;

    /// <summary>The IHL field: header length in 32-bit words (5..15 when valid, 0..15 as read).</summary>
    public static int Ihl(ReadOnlySpan<byte> packet) => EnsureHeader(packet)[0] & 0x0F;

    /// <summary>Header length in bytes (IHL × 4).</summary>
    public static int HeaderLength(ReadOnlySpan<byte> packet) => Ihl(packet) * 4;

    public static byte TypeOfService(ReadOnlySpan<byte> packet) => EnsureHeader(packet)[1];

    /// <summary>The total length field: header plus payload as the sender declared it.</summary>
    public static int TotalLength(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt16BigEndian(EnsureHeader(packet)[TotalLengthOffset..]);

    public static ushort Identification(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt16BigEndian(EnsureHeader(packet)[IdentificationOffset..]);

    /// <summary>The three flag bits (reserved, DF, MF) as a value 0..7.</summary>
    public static int Flags(ReadOnlySpan<byte> packet) => EnsureHeader(packet)[FlagsAndFragmentOffset] >> 5;

    public static bool DontFragment(ReadOnlySpan<byte> packet) => (Flags(packet) & 0b010) != 0;

    public static bool MoreFragments(ReadOnlySpan<byte> packet) => (Flags(packet) & 0b001) != 0;

    /// <summary>The fragment offset in 8-byte units; non-zero means a non-first fragment.</summary>
    public static int FragmentOffset(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt16BigEndian(EnsureHeader(packet)[FlagsAndFragmentOffset..]) & 0x1FFF;

    public static byte Ttl(ReadOnlySpan<byte> packet) => EnsureHeader(packet)[TtlOffset];

    public static byte Protocol(ReadOnlySpan<byte> packet) => EnsureHeader(packet)[ProtocolOffset];

    /// <summary>The header checksum field as a big-endian 16-bit value.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt16BigEndian(EnsureHeader(packet)[ChecksumOffset..]);

    public static uint Source(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt32BigEndian(EnsureHeader(packet)[SourceOffset..]);

    public static uint Destination(ReadOnlySpan<byte> packet) =>
        BinaryPrimitives.ReadUInt32BigEndian(EnsureHeader(packet)[DestinationOffset..]);

    /// <summary>
    /// True when the header checksum over IHL × 4 bytes is correct. False (never throws) when IHL is below 5 or the
    /// span is shorter than the header it declares.
    /// </summary>
    public static bool HasValidChecksum(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < MinimumLength)
        {
            return false;
        }
        int headerLength = (packet[0] & 0x0F) * 4;
        return headerLength >= MinimumLength && headerLength <= packet.Length &&
            InternetChecksum.IsValid(packet[..headerLength]);
    }

    /// <summary>
    /// Recomputes the header checksum over IHL × 4 bytes and stores it. The span must hold the whole header.
    /// </summary>
    public static void UpdateChecksum(Span<byte> packet)
    {
        int headerLength = HeaderLength(packet);
        if (headerLength < MinimumLength || headerLength > packet.Length)
        {
            ThrowBadHeaderLength(headerLength, packet.Length);
        }
        packet[ChecksumOffset] = 0;
        packet[ChecksumOffset + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet[ChecksumOffset..], InternetChecksum.Compute(packet[..headerLength]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> EnsureHeader(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < MinimumLength)
        {
            ThrowTooShort(packet.Length);
        }
        return packet;
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooShort(int length) =>
        throw new ArgumentException($"An IPv4 header needs {MinimumLength} bytes; the span holds {length}.", "packet");

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadHeaderLength(int headerLength, int length) =>
        throw new ArgumentException($"IHL gives a {headerLength}-byte header, which a {length}-byte span cannot hold.", "packet");
}
