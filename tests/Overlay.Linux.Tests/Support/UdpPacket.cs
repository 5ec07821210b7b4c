using System.Buffers.Binary;
using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Tests.Support;

/// <summary>Builds and picks apart bare IPv4/UDP packets as they cross a TUN device (IHL 5, no options).</summary>
internal static class UdpPacket
{
    public const int HeaderBytes = 28;

    /// <summary>An IPv4 packet with a correct header checksum and UDP checksum 0 ("not computed", legal over IPv4).</summary>
    public static byte[] Build(uint source, ushort sourcePort, uint destination, ushort destinationPort, ReadOnlySpan<byte> payload, byte ttl = 64)
    {
        var packet = new byte[HeaderBytes + payload.Length];
        Span<byte> ip = packet;
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
        ip[8] = ttl;
        ip[9] = 17;
        Ipv4.Write(ip[12..], source);
        Ipv4.Write(ip[16..], destination);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], HeaderChecksum(ip[..20]));
        Span<byte> udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payload.Length));
        payload.CopyTo(udp[8..]);
        return packet;
    }

    public static bool IsIpv4Udp(ReadOnlySpan<byte> packet) => packet.Length >= HeaderBytes && packet[0] == 0x45 && packet[9] == 17;

    /// <summary>The IPv4 total-length field.</summary>
    public static int TotalLength(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);

    public static uint Source(ReadOnlySpan<byte> packet) => Ipv4.Read(packet[12..]);

    public static uint Destination(ReadOnlySpan<byte> packet) => Ipv4.Read(packet[16..]);

    public static ushort SourcePort(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[20..]);

    public static ushort DestinationPort(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[22..]);

    public static ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> packet) => packet[HeaderBytes..];

    /// <summary>RFC 791 header checksum; 0 when computed over a header that already holds its checksum.</summary>
    public static ushort HeaderChecksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }
}
