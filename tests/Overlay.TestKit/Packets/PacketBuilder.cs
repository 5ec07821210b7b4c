using System.Buffers.Binary;
using Overlay.DataPlane.Routing;

namespace Overlay.TestKit.Packets;

/// <summary>
/// Builds well-formed IPv4 packets (UDP, TCP, ICMP or any raw body) with correct header and transport checksums.
/// Set the header fields with an object initializer or a <c>with</c> expression, then call one of the builders.
/// Checksums come from <see cref="ReferenceChecksum"/>, not from the code under test.
/// </summary>
/// <example><code>
/// byte[] packet = (PacketBuilder.Between("10.244.1.2", "10.244.2.3") with { Ttl = 2, Payload = [1, 2, 3] }).Udp();
/// </code></example>
public sealed record PacketBuilder
{
    public const byte ProtocolIcmp = 1;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    /// <summary>Source address, host byte order. Default 10.244.1.2.</summary>
    public uint Source { get; init; } = 0x0AF4_0102;

    /// <summary>Destination address, host byte order. Default 10.244.2.3.</summary>
    public uint Destination { get; init; } = 0x0AF4_0203;

    public byte Ttl { get; init; } = 64;

    public byte TypeOfService { get; init; }

    public ushort Identification { get; init; }

    public bool DontFragment { get; init; }

    public bool MoreFragments { get; init; }

    /// <summary>Fragment offset in 8-byte units (0..8191); non-zero makes a non-first fragment.</summary>
    public int FragmentOffset { get; init; }

    /// <summary>IPv4 options, a multiple of 4 bytes and at most 40 (IHL = 5 + Options.Length / 4).</summary>
    public byte[] Options { get; init; } = [];

    /// <summary>Bytes after the transport header (or the whole body for <see cref="Raw"/>).</summary>
    public byte[] Payload { get; init; } = [];

    public static PacketBuilder Between(string source, string destination) =>
        new() { Source = Ipv4.Parse(source), Destination = Ipv4.Parse(destination) };

    public int HeaderLength => 20 + Options.Length;

    /// <summary>A UDP datagram carrying <see cref="Payload"/>, with a correct UDP checksum.</summary>
    public byte[] Udp(ushort sourcePort = 40000, ushort destinationPort = 5201)
    {
        int udpLength = 8 + Payload.Length;
        byte[] udp = new byte[udpLength];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udpLength);
        Payload.CopyTo(udp, 8);
        ushort checksum = ReferenceChecksum.Compute(udp, ReferenceChecksum.PseudoHeaderSum(Source, Destination, ProtocolUdp, udpLength));
        // RFC 768: a computed zero is sent as all ones, because zero means "no checksum".
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), checksum == 0 ? (ushort)0xFFFF : checksum);
        return Raw(ProtocolUdp, udp);
    }

    /// <summary>A TCP segment (no TCP options) carrying <see cref="Payload"/>, with a correct TCP checksum.</summary>
    public byte[] Tcp(
        ushort sourcePort = 40000,
        ushort destinationPort = 5201,
        uint sequence = 1,
        uint acknowledgment = 0,
        byte flags = 0x18,
        ushort window = 65535)
    {
        int tcpLength = 20 + Payload.Length;
        byte[] tcp = new byte[tcpLength];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), acknowledgment);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), window);
        Payload.CopyTo(tcp, 20);
        ushort checksum = ReferenceChecksum.Compute(tcp, ReferenceChecksum.PseudoHeaderSum(Source, Destination, ProtocolTcp, tcpLength));
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), checksum);
        return Raw(ProtocolTcp, tcp);
    }

    /// <summary>An ICMP message: type, code, checksum, the 4 bytes <paramref name="restOfHeader"/>, then <see cref="Payload"/>.</summary>
    public byte[] Icmp(byte type, byte code, uint restOfHeader = 0)
    {
        byte[] icmp = new byte[8 + Payload.Length];
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(icmp.AsSpan(4), restOfHeader);
        Payload.CopyTo(icmp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), ReferenceChecksum.Compute(icmp));
        return Raw(ProtocolIcmp, icmp);
    }

    /// <summary>An ICMP echo request (type 8) or reply (type 0) carrying <see cref="Payload"/>.</summary>
    public byte[] IcmpEcho(ushort identifier = 1, ushort sequence = 1, bool reply = false) =>
        Icmp(reply ? (byte)0 : (byte)8, 0, ((uint)identifier << 16) | sequence);

    /// <summary>
    /// The IPv4 header followed by <paramref name="body"/> verbatim: for fragments, other protocols, or hand-made
    /// transport headers. Only the IPv4 header checksum is computed.
    /// </summary>
    public byte[] Raw(byte protocol, ReadOnlySpan<byte> body)
    {
        if (Options.Length % 4 != 0 || Options.Length > 40)
        {
            throw new InvalidOperationException($"IPv4 options must be a multiple of 4 bytes, at most 40; got {Options.Length}.");
        }
        if (FragmentOffset is < 0 or > 0x1FFF)
        {
            throw new InvalidOperationException($"The fragment offset must be 0..8191; got {FragmentOffset}.");
        }
        int totalLength = HeaderLength + body.Length;
        if (totalLength > ushort.MaxValue)
        {
            throw new InvalidOperationException($"An IPv4 packet holds at most 65535 bytes; this one would be {totalLength}.");
        }
        byte[] packet = new byte[totalLength];
        packet[0] = (byte)(0x40 | (HeaderLength / 4));
        packet[1] = TypeOfService;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)totalLength);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), Identification);
        int flags = (DontFragment ? 0x4000 : 0) | (MoreFragments ? 0x2000 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)(flags | FragmentOffset));
        packet[8] = Ttl;
        packet[9] = protocol;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), Source);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), Destination);
        Options.CopyTo(packet, 20);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ReferenceChecksum.Compute(packet.AsSpan(0, HeaderLength)));
        body.CopyTo(packet.AsSpan(HeaderLength));
        return packet;
    }
}
