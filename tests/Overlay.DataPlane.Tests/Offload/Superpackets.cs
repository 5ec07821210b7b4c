using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>Superpackets and offload metadata as a TUN device with IFF_VNET_HDR hands them over.</summary>
internal static class Superpackets
{
    /// <summary>A TCP superpacket between two pods (DF, ACK|PSH), its checksum field left partial as the kernel leaves it.</summary>
    public static byte[] Tcp(uint source, uint destination, int payloadLength, byte ttl, ushort id = 1, byte[]? payload = null) =>
        WithPartialChecksum(
            (new PacketBuilder { Source = source, Destination = destination, Ttl = ttl, DontFragment = true, Identification = id } with
            {
                Payload = payload ?? Pattern(payloadLength),
            }).Tcp(sequence: 7, acknowledgment: 9, flags: TcpPackets.Ack | TcpPackets.Psh));

    /// <summary>Reproducible pseudo-random bytes, different for each length.</summary>
    public static byte[] Pattern(int length)
    {
        byte[] bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    /// <summary>
    /// What the kernel hands over for CHECKSUM_PARTIAL: the transport checksum field holds the folded pseudo-header
    /// sum, not the checksum.
    /// </summary>
    public static byte[] WithPartialChecksum(byte[] packet)
    {
        byte[] partial = (byte[])packet.Clone();
        int ipHeaderLength = (partial[0] & 0x0F) * 4;
        byte protocol = partial[9];
        int field = ipHeaderLength + (protocol == PacketBuilder.ProtocolTcp ? 16 : 6);
        BinaryPrimitives.WriteUInt16BigEndian(partial.AsSpan(field), PseudoHeaderFold(partial, protocol, partial.Length - ipHeaderLength));
        return partial;
    }

    /// <summary>The folded, uncomplemented pseudo-header sum, by the reference implementation.</summary>
    public static ushort PseudoHeaderFold(byte[] packet, byte protocol, int transportLength) =>
        (ushort)~ReferenceChecksum.Compute([], ReferenceChecksum.PseudoHeaderSum(
            BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(12)),
            BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(16)),
            protocol,
            transportLength));

    public static OffloadInfo Tso(int gsoSize, int headerLength = 40, bool ecn = false) => new()
    {
        Flags = OffloadFlags.NeedsChecksum,
        GsoType = ecn ? GsoType.TcpV4 | GsoType.Ecn : GsoType.TcpV4,
        HeaderLength = (ushort)headerLength,
        GsoSize = (ushort)gsoSize,
        ChecksumStart = 20,
        ChecksumOffset = 16,
    };

    public static OffloadInfo Uso(int gsoSize) => new()
    {
        Flags = OffloadFlags.NeedsChecksum,
        GsoType = GsoType.UdpL4,
        HeaderLength = 28,
        GsoSize = (ushort)gsoSize,
        ChecksumStart = 20,
        ChecksumOffset = 6,
    };
}
