using System.Buffers.Binary;
using Overlay.DataPlane.Packets;

namespace Overlay.Benchmarks;

/// <summary>Hand-built IPv4/UDP/TCP packets for benchmarks (the test kit's builder is not referenced from perf code).</summary>
internal static class Packets
{
    public const byte TcpAck = 0x10;
    public const byte TcpPsh = 0x08;

    public static byte[] Udp(uint source, uint destination, int payloadLength, byte ttl = 64)
    {
        var packet = new byte[20 + 8 + payloadLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = ttl;
        packet[9] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), source);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), destination);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 5201);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payloadLength));
        for (int i = 0; i < payloadLength; i++)
        {
            packet[28 + i] = (byte)i;
        }
        return packet;
    }

    /// <summary>
    /// A TCP/IPv4 packet from port 40000 to 5201 with DF set, no IP options, and valid IPv4 and TCP checksums.
    /// <paramref name="options"/> must be a multiple of 4 bytes.
    /// </summary>
    public static byte[] Tcp(
        uint source,
        uint destination,
        ushort identification,
        uint sequence,
        uint acknowledgment,
        byte flags,
        ReadOnlySpan<byte> options,
        ReadOnlySpan<byte> payload,
        byte ttl = 64)
    {
        int tcpHeaderLength = 20 + options.Length;
        var packet = new byte[20 + tcpHeaderLength + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identification);
        packet[6] = 0x40;
        packet[8] = ttl;
        packet[9] = 6;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), source);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), destination);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 20)));

        Span<byte> tcp = packet.AsSpan(20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 5201);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], acknowledgment);
        tcp[12] = (byte)((tcpHeaderLength / 4) << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 65535);
        options.CopyTo(tcp[20..]);
        payload.CopyTo(tcp[tcpHeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Compute(tcp, PseudoHeaderSum(packet)));
        return packet;
    }

    /// <summary>
    /// The same packet as the kernel hands over a CHECKSUM_PARTIAL one: the TCP checksum field holds only the folded
    /// pseudo-header sum.
    /// </summary>
    public static byte[] WithPartialTcpChecksum(byte[] packet)
    {
        byte[] partial = (byte[])packet.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(20 + 16), PseudoHeaderSum(partial));
        return partial;
    }

    /// <summary>True when the IPv4 header checksum and the TCP checksum (pseudo-header included) both verify.</summary>
    public static bool TcpChecksumsVerify(ReadOnlySpan<byte> packet) =>
        InternetChecksum.IsValid(packet[..20]) &&
        InternetChecksum.Add(InternetChecksum.Sum(packet[20..]), PseudoHeaderSum(packet)) == 0xFFFF;

    /// <summary>TCP timestamp options as Linux sends them on every data segment: NOP, NOP, kind 8 length 10.</summary>
    public static byte[] Timestamps(uint value, uint echo)
    {
        var options = new byte[12];
        options[0] = 1;
        options[1] = 1;
        options[2] = 8;
        options[3] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(4), value);
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(8), echo);
        return options;
    }

    /// <summary>Reproducible pseudo-random bytes.</summary>
    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The folded pseudo-header sum of a TCP/IPv4 packet without IP options, for its length.</summary>
    private static ushort PseudoHeaderSum(ReadOnlySpan<byte> packet)
    {
        Span<byte> pseudo = stackalloc byte[12];
        packet.Slice(12, 8).CopyTo(pseudo);
        pseudo[9] = 6;
        BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)(packet.Length - 20));
        return InternetChecksum.Sum(pseudo);
    }
}
