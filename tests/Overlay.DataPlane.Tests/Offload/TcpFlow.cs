using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>
/// Back-to-back data segments of one TCP flow as a Linux sender emits them: consecutive IPv4 ids and sequence numbers,
/// one acknowledgment number, timestamp options, DF, ACK on all and PSH on the last.
/// </summary>
internal sealed record TcpFlow
{
    public PacketBuilder Ip { get; init; } = new() { DontFragment = true, Identification = 100 };

    public ushort SourcePort { get; init; } = 40000;

    public ushort DestinationPort { get; init; } = 5201;

    public uint FirstSequence { get; init; } = 1_000_000;

    public uint Acknowledgment { get; init; } = 777;

    public byte[] Options { get; init; } = TcpPackets.Timestamps(0x11223344, 0x55667788);

    public int SegmentSize { get; init; } = 1420;

    public bool PushLast { get; init; } = true;

    /// <summary>The payload bytes of segment <paramref name="index"/>: distinct per flow, position and index.</summary>
    public byte[] Payload(int index, int length)
    {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i++)
        {
            payload[i] = (byte)(SourcePort * 7 + index * 31 + i);
        }
        return payload;
    }

    /// <summary>Segment <paramref name="index"/> of a run of <paramref name="count"/> full-sized ones.</summary>
    public byte[] Segment(int index, int count) => Segment(index, count, SegmentSize, FirstSequence + (uint)(index * SegmentSize));

    /// <summary>A segment with an explicit payload length and sequence number, flags as for position <paramref name="index"/> of <paramref name="count"/>.</summary>
    public byte[] Segment(int index, int count, int payloadLength, uint sequence, byte? flags = null) =>
        TcpPackets.Build(
            Ip with { Identification = (ushort)(Ip.Identification + index) },
            sequence,
            Acknowledgment,
            flags ?? (index == count - 1 && PushLast ? (byte)(TcpPackets.Ack | TcpPackets.Psh) : TcpPackets.Ack),
            Options,
            Payload(index, payloadLength),
            SourcePort,
            DestinationPort);

    public byte[][] Segments(int count)
    {
        byte[][] segments = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            segments[i] = Segment(i, count);
        }
        return segments;
    }
}
