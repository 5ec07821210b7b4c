using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>Segments that Linux GRO would not merge pass through byte for byte, in order, as plain packets.</summary>
public sealed class TcpCoalescingRefusalTests
{
    private static readonly TcpFlow s_flow = new() { SegmentSize = 1000 };

    public static TheoryData<string> Cases =>
    [
        "out of order",
        "retransmitted",
        "bad tcp checksum in the middle",
        "bad ip header checksum",
        "options differ",
        "option length differs",
        "acknowledgment differs",
        "ttl differs",
        "tos differs",
        "df differs",
        "ipv4 options",
        "first fragment",
        "syn",
        "fin",
        "urg",
        "ece",
        "cwr",
        "rst",
        "reserved tcp bit",
        "ack flag missing",
        "larger after smaller",
        "first segment has psh",
        "no payload",
        "total length disagrees",
    ];

    [Fact]
    public void TheUnalteredPairEveryCaseStartsFromDoesMerge()
    {
        var (_, result, _) = TcpCoalescingTests.Coalesce(s_flow.Segment(0, 2), s_flow.Segment(1, 2));

        Assert.Equal(1, result.Superpackets);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IsNotMerged(string name)
    {
        byte[][] packets = Build(name);

        var (output, result, _) = TcpCoalescingTests.Coalesce(packets);

        Assert.Equal(0, result.Superpackets);
        Assert.Equal(packets, Batches.Packets(output));
        for (int i = 0; i < output.Count; i++)
        {
            Assert.Equal(OffloadInfo.None, output.Offload(i));
        }
    }

    [Fact]
    public void A_corrupt_first_segment_passes_alone_and_the_segments_after_it_merge()
    {
        // The first segment is verified only when a second one joins it: a corrupt one must still be left out.
        byte[] corrupt = Patched(s_flow.Segment(0, 4), 100, (byte)(s_flow.Segment(0, 4)[100] ^ 1));
        byte[][] packets = [corrupt, s_flow.Segment(1, 4), s_flow.Segment(2, 4), s_flow.Segment(3, 4)];

        var (output, result, coalescer) = TcpCoalescingTests.Coalesce(packets);

        Assert.Equal(new CoalescingResult(1, 3), result);
        Assert.Equal(2, output.Count);
        Assert.Equal(corrupt, output.Packet(0).ToArray());
        Assert.Equal(OffloadInfo.None, output.Offload(0));
        Assert.Equal(3, coalescer.SegmentCount(1));
    }

    [Fact]
    public void A_corrupt_last_segment_is_left_out_of_the_merge_before_it_byte_for_byte()
    {
        // Its payload was already copied past the merge's end when its checksum failed: the merge must not grow.
        byte[] third = s_flow.Segment(2, 3);
        byte[] corrupt = Patched(third, third.Length - 1, (byte)(third[^1] ^ 0x40));
        byte[][] packets = [s_flow.Segment(0, 3), s_flow.Segment(1, 3), corrupt];

        var (output, result, coalescer) = TcpCoalescingTests.Coalesce(packets);

        Assert.Equal(new CoalescingResult(1, 2), result);
        Assert.Equal(2, output.Count);
        Assert.Equal(2, coalescer.SegmentCount(0));
        Assert.Equal(TcpCoalescingTests.Coalesce(s_flow.Segment(0, 3), s_flow.Segment(1, 3)).Output.Packet(0).ToArray(), output.Packet(0).ToArray());
        Assert.Equal(corrupt, output.Packet(1).ToArray());
    }

    private static byte[][] Build(string name)
    {
        byte[] first = s_flow.Segment(0, 2);
        byte[] second = s_flow.Segment(1, 2);
        return name switch
        {
            "out of order" => [s_flow.Segment(0, 3), s_flow.Segment(2, 3), s_flow.Segment(1, 3)],
            "retransmitted" => [first, first],
            "bad tcp checksum in the middle" => [first, Patched(second, 100, (byte)(second[100] ^ 1)), s_flow.Segment(2, 3)],
            "bad ip header checksum" => [first, Patched(second, 11, (byte)(second[11] ^ 0x80))],
            "options differ" => [first, (s_flow with { Options = TcpPackets.Timestamps(0x11223345, 0x55667788) }).Segment(1, 2)],
            "option length differs" => [first, (s_flow with { Options = [1, 1, 1, 1, .. TcpPackets.Timestamps(0x11223344, 0x55667788)] }).Segment(1, 2)],
            "acknowledgment differs" => [first, (s_flow with { Acknowledgment = 778 }).Segment(1, 2)],
            "ttl differs" => [first, (s_flow with { Ip = s_flow.Ip with { Ttl = 63 } }).Segment(1, 2)],
            "tos differs" => [first, (s_flow with { Ip = s_flow.Ip with { TypeOfService = 4 } }).Segment(1, 2)],
            "df differs" => [first, (s_flow with { Ip = s_flow.Ip with { DontFragment = false } }).Segment(1, 2)],
            "ipv4 options" => [.. (s_flow with { Ip = s_flow.Ip with { Options = [1, 1, 1, 0] } }).Segments(2)],
            "first fragment" => [.. (s_flow with { Ip = s_flow.Ip with { MoreFragments = true } }).Segments(2)],
            "syn" => WithFlags(TcpPackets.Syn | TcpPackets.Ack),
            "fin" => WithFlags(TcpPackets.Fin | TcpPackets.Ack),
            "urg" => WithFlags(TcpPackets.Urg | TcpPackets.Ack),
            "ece" => WithFlags(TcpPackets.Ece | TcpPackets.Ack),
            "cwr" => WithFlags(TcpPackets.Cwr | TcpPackets.Ack),
            "rst" => WithFlags(TcpPackets.Rst | TcpPackets.Ack),
            "reserved tcp bit" => [.. s_flow.Segments(2).Select(s => WithValidChecksum(Patched(s, 32, (byte)(s[32] | 1))))],
            "ack flag missing" => WithFlags(0),
            "larger after smaller" => [s_flow.Segment(0, 2, 700, s_flow.FirstSequence), s_flow.Segment(1, 2, 1420, s_flow.FirstSequence + 700)],
            "first segment has psh" => [s_flow.Segment(0, 2, 1000, s_flow.FirstSequence, TcpPackets.Ack | TcpPackets.Psh), second],
            "no payload" => [s_flow.Segment(0, 2, 0, s_flow.FirstSequence), s_flow.Segment(1, 2, 0, s_flow.FirstSequence)],
            "total length disagrees" => [first, .. new[] { second }.Select(s => WithValidIpChecksum(Patched(s, 3, (byte)(s[3] - 1))))],
            _ => throw new ArgumentException(name),
        };
    }

    private static byte[][] WithFlags(byte flags) =>
    [
        s_flow.Segment(0, 2, 1000, s_flow.FirstSequence, flags),
        s_flow.Segment(1, 2, 1000, s_flow.FirstSequence + 1000, flags),
    ];

    private static byte[] Patched(byte[] packet, int offset, byte value)
    {
        byte[] copy = (byte[])packet.Clone();
        copy[offset] = value;
        return copy;
    }

    private static byte[] WithValidIpChecksum(byte[] packet)
    {
        packet[10] = 0;
        packet[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ReferenceChecksum.Compute(packet.AsSpan(0, 20)));
        return packet;
    }

    private static byte[] WithValidChecksum(byte[] packet)
    {
        packet[36] = 0;
        packet[37] = 0;
        ushort checksum = ReferenceChecksum.Compute(packet.AsSpan(20), ReferenceChecksum.PseudoHeaderSum(
            BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(12)),
            BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(16)),
            PacketBuilder.ProtocolTcp,
            packet.Length - 20));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(36), checksum);
        return packet;
    }
}
