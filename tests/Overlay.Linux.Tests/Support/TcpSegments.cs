using System.Buffers.Binary;
using Overlay.TestKit.Packets;

namespace Overlay.Linux.Tests.Support;

/// <summary>
/// Hand-built IPv4/TCP segments (IHL 5) for driving a TCP peer through a TUN device, and field readers for the
/// segments the kernel sends back. Checksums come from the test kit's reference implementation.
/// </summary>
internal static class TcpSegments
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    /// <summary>
    /// An IPv4 TCP segment. With <paramref name="mss"/> the header carries an MSS option. With
    /// <paramref name="partialChecksum"/> the checksum field holds only the folded pseudo-header sum, as a
    /// NEEDS_CSUM (CHECKSUM_PARTIAL) packet handed to the kernel must.
    /// </summary>
    public static byte[] Build(uint source, ushort sourcePort, uint destination, ushort destinationPort, uint sequence, uint acknowledgment,
        byte flags, ReadOnlySpan<byte> payload, ushort? mss = null, bool partialChecksum = false)
    {
        int headerLength = mss is null ? 20 : 24;
        byte[] tcp = new byte[headerLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), acknowledgment);
        tcp[12] = (byte)((headerLength / 4) << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), 65535);
        if (mss is { } value)
        {
            tcp[20] = 2; // kind: maximum segment size
            tcp[21] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(22), value);
        }
        payload.CopyTo(tcp.AsSpan(headerLength));
        ulong pseudo = ReferenceChecksum.PseudoHeaderSum(source, destination, PacketBuilder.ProtocolTcp, tcp.Length);
        ushort checksum = partialChecksum ? Fold(pseudo) : ReferenceChecksum.Compute(tcp, pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), checksum);
        return new PacketBuilder { Source = source, Destination = destination, DontFragment = true }.Raw(PacketBuilder.ProtocolTcp, tcp);
    }

    public static bool IsIpv4Tcp(ReadOnlySpan<byte> packet) => packet.Length >= 40 && packet[0] == 0x45 && packet[9] == PacketBuilder.ProtocolTcp;

    public static ushort SourcePort(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[20..]);

    public static ushort DestinationPort(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[22..]);

    public static uint Sequence(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[24..]);

    public static uint Acknowledgment(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt32BigEndian(packet[28..]);

    public static byte Flags(ReadOnlySpan<byte> packet) => packet[33];

    /// <summary>IPv4 plus TCP header bytes (TCP data offset included).</summary>
    public static int HeadersLength(ReadOnlySpan<byte> packet) => 20 + ((packet[32] >> 4) * 4);

    public static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet[HeadersLength(packet)..];

    private static ushort Fold(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)sum;
    }
}
