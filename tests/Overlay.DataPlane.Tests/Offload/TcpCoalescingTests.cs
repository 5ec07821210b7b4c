using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

public sealed class TcpCoalescingTests
{
    private const int HeaderLength = 20 + 32;

    [Fact]
    public void FortyFourSegmentsOfOneFlowBecomeOneSuperpacketExactlyAsSpecified()
    {
        var flow = new TcpFlow { Ip = new PacketBuilder { DontFragment = true, Identification = 0xFFE0, Ttl = 61, TypeOfService = 0x20 } };
        byte[][] segments = flow.Segments(44);
        var (output, result, coalescer) = Coalesce(segments);

        Assert.Equal(new CoalescingResult(1, 44), result);
        Assert.Equal(1, output.Count);
        Assert.Equal(44, coalescer.SegmentCount(0));
        Assert.Equal(
            new OffloadInfo
            {
                Flags = OffloadFlags.NeedsChecksum,
                GsoType = GsoType.TcpV4,
                HeaderLength = HeaderLength,
                GsoSize = 1420,
                ChecksumStart = 20,
                ChecksumOffset = 16,
            },
            output.Offload(0));
        byte[] superpacket = output.Packet(0).ToArray();
        int expectedLength = HeaderLength + 44 * 1420;
        Assert.Equal(expectedLength, superpacket.Length);
        Assert.Equal(expectedLength, BinaryPrimitives.ReadUInt16BigEndian(superpacket.AsSpan(2)));
        Assert.True(ReferenceChecksum.HeaderIsValid(superpacket));
        // Everything in the IPv4 header but the total length and checksum is the first segment's.
        Assert.Equal(segments[0].AsSpan(4, 6).ToArray(), superpacket.AsSpan(4, 6).ToArray());
        Assert.Equal(segments[0].AsSpan(0, 2).ToArray(), superpacket.AsSpan(0, 2).ToArray());
        Assert.Equal(segments[0].AsSpan(12, 8).ToArray(), superpacket.AsSpan(12, 8).ToArray());
        // The TCP header is the first segment's with the last one's PSH, and the pseudo-header sum for the merged length.
        Assert.Equal(segments[0].AsSpan(20, 13).ToArray(), superpacket.AsSpan(20, 13).ToArray());
        Assert.Equal(TcpPackets.Ack | TcpPackets.Psh, superpacket[33]);
        Assert.Equal(segments[0].AsSpan(34, 2).ToArray(), superpacket.AsSpan(34, 2).ToArray());
        Assert.Equal(
            Superpackets.PseudoHeaderFold(superpacket, PacketBuilder.ProtocolTcp, expectedLength - 20),
            BinaryPrimitives.ReadUInt16BigEndian(superpacket.AsSpan(36)));
        Assert.Equal(segments[0].AsSpan(38, 14).ToArray(), superpacket.AsSpan(38, 14).ToArray());
        Assert.Equal(segments.SelectMany(s => s[HeaderLength..]).ToArray(), superpacket[HeaderLength..]);
    }

    [Fact]
    public void SuperpacketFedBackThroughTheSegmenterReproducesTheOriginalSegmentsByteForByte()
    {
        var flow = new TcpFlow { Ip = new PacketBuilder { DontFragment = true, Identification = 0xFFF0 }, FirstSequence = 0xFFFF_0000 };
        byte[][] segments = flow.Segments(44);
        var (output, _, _) = Coalesce(segments);
        Assert.Equal(1, output.Count);

        List<byte[]> resegmented = Batches.Segment(output.Packet(0).ToArray(), output.Offload(0));

        Assert.Equal(segments, resegmented);
    }

    [Fact]
    public void RoundTripHoldsWithAShorterLastSegmentAndNoPush()
    {
        var flow = new TcpFlow { PushLast = false };
        byte[][] segments = [.. flow.Segments(9)[..8], flow.Segment(8, 9, 77, flow.FirstSequence + 8 * 1420u)];
        var (output, result, _) = Coalesce(segments);

        Assert.Equal(new CoalescingResult(1, 9), result);
        Assert.Equal(TcpPackets.Ack, output.Packet(0)[33]);
        Assert.Equal(segments, Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
    }

    [Fact]
    public void InterleavedFlowsMergeOnlyWithinEachFlow()
    {
        var a = new TcpFlow { SourcePort = 1111 };
        var b = new TcpFlow { SourcePort = 2222, FirstSequence = 1_000_000 };
        byte[][] interleaved = [a.Segment(0, 3), b.Segment(0, 3), a.Segment(1, 3), b.Segment(1, 3), a.Segment(2, 3), b.Segment(2, 3)];
        var (output, result, _) = Coalesce(interleaved);

        Assert.Equal(new CoalescingResult(2, 6), result);
        Assert.Equal(a.Segments(3), Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
        Assert.Equal(b.Segments(3), Batches.Segment(output.Packet(1).ToArray(), output.Offload(1)));
    }

    [Fact]
    public void GatheringNamesTheReceivedSlotsInsteadOfCopyingThem()
    {
        var a = new TcpFlow { SourcePort = 1111 };
        var b = new TcpFlow { SourcePort = 2222, FirstSequence = 1_000_000 };
        byte[] lone = new PacketBuilder { Payload = new byte[100] }.Udp();
        byte[][] received = [a.Segment(0, 3), b.Segment(0, 2), lone, a.Segment(1, 3), b.Segment(1, 2), a.Segment(2, 3)];
        PacketBatch input = Batches.Of(Batches.Mtu, received);
        var gathered = new GatheredPackets(input.Capacity);

        CoalescingResult result = new GroCoalescer(input.Capacity).Coalesce(input, gathered);

        Assert.Equal(new CoalescingResult(2, 5), result);
        Assert.Equal(3, gathered.Count);
        // Flow a starts in slot 0 and goes on in slots 3 and 5, flow b in slots 1 and 4; the UDP datagram stays whole.
        Assert.Equal([0, 1, 2], Enumerable.Range(0, 3).Select(gathered.HeadSlot));
        Assert.Equal([3, 5], TailSlots(gathered, 0));
        Assert.Equal([4], TailSlots(gathered, 1));
        Assert.Empty(TailSlots(gathered, 2));
        Assert.Equal([3, 2, 1], Enumerable.Range(0, 3).Select(gathered.Pieces));
        Assert.Equal(HeaderLength, gathered.TailOffset(0));
        Assert.Equal(received[0].Length, gathered.HeadLength(0));
        Assert.Equal(HeaderLength + 3 * 1420, gathered.Length(0));
        Assert.Equal(OffloadInfo.None, gathered.Offload(2));
        // Only the heads' headers were rewritten in place; the tails are untouched.
        foreach (int slot in (int[])[2, 3, 4, 5])
        {
            Assert.Equal(received[slot], input.Packet(slot).ToArray());
        }
        Assert.Equal(a.Segments(3), Batches.Segment(Gathered(input, gathered, 0), gathered.Offload(0)));
        Assert.Equal(b.Segments(2), Batches.Segment(Gathered(input, gathered, 1), gathered.Offload(1)));
        Assert.Equal(lone, Gathered(input, gathered, 2));
    }

    private static List<int> TailSlots(GatheredPackets gathered, int packet)
    {
        var slots = new List<int>();
        for (int tail = gathered.FirstTail(packet); tail >= 0; tail = gathered.NextTail(tail))
        {
            slots.Add(tail);
        }
        return slots;
    }

    private static byte[] Gathered(PacketBatch source, GatheredPackets gathered, int packet)
    {
        byte[] bytes = new byte[OffloadLimits.MaximumPacketLength];
        return bytes[..gathered.CopyTo(source, packet, bytes)];
    }

    [Fact]
    public void SameFlowWithADifferentDestinationPortIsAnotherFlow()
    {
        var a = new TcpFlow();
        var b = a with { DestinationPort = 5202 };
        var (output, result, _) = Coalesce(a.Segment(0, 2), b.Segment(1, 2));

        Assert.Equal(new CoalescingResult(0, 0), result);
        Assert.Equal(2, output.Count);
    }

    [Fact]
    public void MergeStopsAtThe65535ByteLimitAndTheRestStartsAnother()
    {
        var flow = new TcpFlow();
        byte[][] segments = flow.Segments(50);
        var (output, result, coalescer) = Coalesce(segments);

        int fit = (ushort.MaxValue - HeaderLength) / 1420;
        Assert.Equal(new CoalescingResult(2, 50), result);
        Assert.Equal([fit, 50 - fit], new[] { coalescer.SegmentCount(0), coalescer.SegmentCount(1) });
        Assert.True(output.Length(0) <= ushort.MaxValue);
        List<byte[]> resegmented = [
            .. Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)),
            .. Batches.Segment(output.Packet(1).ToArray(), output.Offload(1))];
        Assert.Equal(segments, resegmented);
    }

    [Fact]
    public void ShorterSegmentEndsTheMergeAndTheNextStartsAnother()
    {
        var flow = new TcpFlow { SegmentSize = 1000 };
        byte[][] segments =
        [
            flow.Segment(0, 4, 1000, 5000, TcpPackets.Ack),
            flow.Segment(1, 4, 500, 6000, TcpPackets.Ack),
            flow.Segment(2, 4, 1000, 6500, TcpPackets.Ack),
            flow.Segment(3, 4, 1000, 7500, TcpPackets.Ack),
        ];
        var (output, result, coalescer) = Coalesce(segments);

        Assert.Equal(new CoalescingResult(2, 4), result);
        Assert.Equal([2, 2], new[] { coalescer.SegmentCount(0), coalescer.SegmentCount(1) });
        Assert.Equal(1000, output.Offload(0).GsoSize);
        Assert.Equal(segments[..2], Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
    }

    [Fact]
    public void PshInTheMiddleEndsTheMergeWithPshSetOnIt()
    {
        var flow = new TcpFlow();
        byte[][] segments =
        [
            flow.Segment(0, 4, 1420, 0, TcpPackets.Ack),
            flow.Segment(1, 4, 1420, 1420, TcpPackets.Ack | TcpPackets.Psh),
            flow.Segment(2, 4, 1420, 2840, TcpPackets.Ack),
            flow.Segment(3, 4, 1420, 4260, TcpPackets.Ack),
        ];
        var (output, result, _) = Coalesce(segments);

        Assert.Equal(new CoalescingResult(2, 4), result);
        Assert.Equal(TcpPackets.Ack | TcpPackets.Psh, output.Packet(0)[33]);
        Assert.Equal(TcpPackets.Ack, output.Packet(1)[33]);
        Assert.Equal(segments[..2], Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
        Assert.Equal(segments[2..], Batches.Segment(output.Packet(1).ToArray(), output.Offload(1)));
    }

    [Fact]
    public void AnotherPacketOfTheFlowEndsItsMergeSoTheFlowStaysInOrder()
    {
        var flow = new TcpFlow();
        byte[] pureAck = TcpPackets.Build(flow.Ip with { Identification = 999 }, flow.FirstSequence + 2 * 1420u, flow.Acknowledgment, TcpPackets.Ack, flow.Options, []);
        byte[][] packets = [flow.Segment(0, 4), flow.Segment(1, 4), pureAck, flow.Segment(2, 4), flow.Segment(3, 4)];
        var (output, result, _) = Coalesce(packets);

        Assert.Equal(new CoalescingResult(2, 4), result);
        Assert.Equal(3, output.Count);
        Assert.Equal(flow.Segments(4)[..2], Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
        Assert.Equal(pureAck, output.Packet(1).ToArray());
        Assert.Equal(OffloadInfo.None, output.Offload(1));
        Assert.Equal(flow.Segments(4)[2..], Batches.Segment(output.Packet(2).ToArray(), output.Offload(2)));
    }

    [Fact]
    public void OtherProtocolsEmptySlotsAndLoneSegmentsPassThroughUnchanged()
    {
        var ip = new PacketBuilder { Payload = [1, 2, 3, 4] };
        byte[] udp = ip.Udp();
        byte[] icmp = ip.IcmpEcho();
        byte[] lone = new TcpFlow().Segment(0, 1);
        PacketBatch input = Batches.Of(Batches.Mtu, udp, [], icmp, lone);
        input.Length(1) = 0;
        var output = new PacketBatch(input.Capacity, OffloadLimits.MaximumPacketLength);

        CoalescingResult result = new GroCoalescer(input.Capacity).Coalesce(input, output);

        Assert.Equal(new CoalescingResult(0, 0), result);
        Assert.Equal([udp, icmp, lone], Batches.Packets(output));
        for (int i = 0; i < output.Count; i++)
        {
            Assert.Equal(OffloadInfo.None, output.Offload(i));
        }
    }

    [Fact]
    public void OutputOfAPreviousBatchIsReplacedNotAppendedTo()
    {
        var flow = new TcpFlow();
        var coalescer = new GroCoalescer(8);
        var output = new PacketBatch(8, OffloadLimits.MaximumPacketLength);
        coalescer.Coalesce(Batches.Of(Batches.Mtu, 8, flow.Segments(3)), output);

        CoalescingResult second = coalescer.Coalesce(Batches.Of(Batches.Mtu, 8, flow.Segment(0, 1)), output);

        Assert.Equal(new CoalescingResult(0, 0), second);
        Assert.Equal([flow.Segment(0, 1)], Batches.Packets(output));
        Assert.Equal(OffloadInfo.None, output.Offload(0));
    }

    [Fact]
    public void CoalescingWorksOnWhatTheInboundProcessorLeaves()
    {
        var flow = new TcpFlow();
        byte[][] segments = flow.Segments(10);
        PacketBatch input = Batches.Of(Batches.Mtu, segments);
        var tally = new ForwardingTally();
        // The senders do not matter here: this is about the packets the processor leaves.
        new InboundProcessor(new RouteTableHolder(), dropUnknownSources: false).Process(input, tally);
        var output = new PacketBatch(input.Capacity, OffloadLimits.MaximumPacketLength);

        CoalescingResult result = new GroCoalescer(input.Capacity).Coalesce(input, output);

        Assert.Equal(new CoalescingResult(1, 10), result);
        byte[][] expected = (flow with { Ip = flow.Ip with { Ttl = (byte)(flow.Ip.Ttl - 1) } }).Segments(10);
        Assert.Equal(expected, Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
    }

    [Fact]
    public void BatchesThatBreakTheContractAreRefusedBeforeAnythingIsRead()
    {
        var coalescer = new GroCoalescer(4);
        var input = new PacketBatch(4, Batches.Mtu);
        Assert.Throws<ArgumentException>(() => coalescer.Coalesce(new PacketBatch(5, Batches.Mtu), new PacketBatch(5, OffloadLimits.MaximumPacketLength)));
        Assert.Throws<ArgumentException>(() => coalescer.Coalesce(input, new PacketBatch(3, OffloadLimits.MaximumPacketLength)));
        Assert.Throws<ArgumentException>(() => coalescer.Coalesce(input, new PacketBatch(4, Batches.Mtu - 1)));
        Assert.Throws<ArgumentException>(() => coalescer.Coalesce(input, input));
    }

    internal static (PacketBatch Output, CoalescingResult Result, GroCoalescer Coalescer) Coalesce(params byte[][] packets)
    {
        PacketBatch input = Batches.Of(Batches.Mtu, packets);
        var output = new PacketBatch(input.Capacity, OffloadLimits.MaximumPacketLength);
        var coalescer = new GroCoalescer(input.Capacity);
        CoalescingResult result = coalescer.Coalesce(input, output);
        int inputs = 0;
        for (int i = 0; i < output.Count; i++)
        {
            inputs += coalescer.SegmentCount(i);
        }
        Assert.Equal(packets.Count(p => p.Length > 0), inputs);
        return (output, result, coalescer);
    }
}
