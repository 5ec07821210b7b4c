using System.Buffers.Binary;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>
/// The fields of a TCP/IPv4 packet that decide whether it may be merged with its neighbours, parsed once.
/// </summary>
internal readonly struct TcpSegment
{
    private const int IpHeaderLength = Ipv4Header.MinimumLength;

    private TcpSegment(ReadOnlySpan<byte> packet, int tcpHeaderLength)
    {
        Flow = FlowKey.Read(packet, IpHeaderLength);
        Sequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(IpHeaderLength + TcpLayout.SequenceOffset)..]);
        Acknowledgment = BinaryPrimitives.ReadUInt32BigEndian(packet[(IpHeaderLength + TcpLayout.AcknowledgmentOffset)..]);
        TcpHeaderLength = tcpHeaderLength;
        PayloadLength = packet.Length - IpHeaderLength - tcpHeaderLength;
        Push = (packet[IpHeaderLength + TcpLayout.FlagsOffset] & TcpLayout.Psh) != 0;
    }

    public FlowKey Flow { get; }

    public uint Sequence { get; }

    public uint Acknowledgment { get; }

    public int TcpHeaderLength { get; }

    public int HeaderLength => IpHeaderLength + TcpHeaderLength;

    public int PayloadLength { get; }

    public bool Push { get; }

    /// <summary>
    /// True when <paramref name="packet"/> (exactly one packet long) may take part in a merge, mirroring Linux GRO:
    /// IPv4 without options with a valid header checksum, total length equal to the packet, not a fragment, TCP with
    /// only ACK or ACK|PSH set and no reserved bits, and a payload. The TCP checksum is not read here: a merged packet
    /// goes to the kernel as CHECKSUM_PARTIAL, which would hide a corrupt segment, so <see cref="GroCoalescer"/>
    /// verifies every segment it merges while it copies the payload, and no other. Never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out TcpSegment segment)
    {
        segment = default;
        if (packet.Length < IpHeaderLength + TcpLayout.MinimumHeaderLength ||
            packet[0] != 0x45 ||
            BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.TotalLengthOffset..]) != packet.Length ||
            // Only DF may be set: no MF, no fragment offset, no reserved bit.
            (BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.FlagsAndFragmentOffset..]) & ~0x4000) != 0 ||
            packet[Ipv4Header.ProtocolOffset] != Ipv4Header.ProtocolTcp)
        {
            return false;
        }
        ReadOnlySpan<byte> tcp = packet[IpHeaderLength..];
        int tcpHeaderLength = TcpLayout.HeaderLength(tcp);
        byte flags = tcp[TcpLayout.FlagsOffset];
        if ((tcp[TcpLayout.DataOffsetOffset] & 0x0F) != 0 ||
            tcpHeaderLength < TcpLayout.MinimumHeaderLength ||
            tcpHeaderLength >= tcp.Length ||
            (flags != TcpLayout.Ack && flags != (TcpLayout.Ack | TcpLayout.Psh)) ||
            !InternetChecksum.IsValid(packet[..IpHeaderLength]))
        {
            return false;
        }
        segment = new TcpSegment(packet, tcpHeaderLength);
        return true;
    }
}
