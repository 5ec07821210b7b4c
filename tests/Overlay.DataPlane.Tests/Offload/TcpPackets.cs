using System.Buffers.Binary;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>
/// TCP segments with options, which <see cref="PacketBuilder.Tcp"/> does not make: the TCP header is written here
/// and the checksum comes from <see cref="ReferenceChecksum"/>, independent of the code under test.
/// </summary>
internal static class TcpPackets
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Urg = 0x20;
    public const byte Ece = 0x40;
    public const byte Cwr = 0x80;

    /// <summary>NOP, NOP, timestamps (kind 8): the 12 option bytes Linux puts on every data segment.</summary>
    public static byte[] Timestamps(uint value, uint echoReply)
    {
        byte[] options = [1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(4), value);
        BinaryPrimitives.WriteUInt32BigEndian(options.AsSpan(8), echoReply);
        return options;
    }

    /// <summary>The IPv4 header from <paramref name="ip"/>, then a TCP header with <paramref name="options"/> and the payload.</summary>
    public static byte[] Build(
        PacketBuilder ip,
        uint sequence,
        uint acknowledgment,
        byte flags,
        ReadOnlySpan<byte> options,
        ReadOnlySpan<byte> payload,
        ushort sourcePort = 40000,
        ushort destinationPort = 5201,
        ushort window = 502)
    {
        if (options.Length % 4 != 0 || options.Length > 40)
        {
            throw new ArgumentException("TCP options must be a multiple of 4 bytes, at most 40.", nameof(options));
        }
        int headerLength = 20 + options.Length;
        byte[] tcp = new byte[headerLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(8), acknowledgment);
        tcp[12] = (byte)(headerLength / 4 << 4);
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(14), window);
        options.CopyTo(tcp.AsSpan(20));
        payload.CopyTo(tcp.AsSpan(headerLength));
        ushort checksum = ReferenceChecksum.Compute(
            tcp, ReferenceChecksum.PseudoHeaderSum(ip.Source, ip.Destination, PacketBuilder.ProtocolTcp, tcp.Length));
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(16), checksum);
        return ip.Raw(PacketBuilder.ProtocolTcp, tcp);
    }
}
