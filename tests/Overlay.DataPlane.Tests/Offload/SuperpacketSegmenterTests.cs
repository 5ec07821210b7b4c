using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

public sealed class SuperpacketSegmenterTests
{
    private const int Mss = Batches.Mtu - 40;

    [Fact]
    public void SixtyFourKibTsoSuperpacketSplitsIntoTheSegmentsASenderWouldHaveBuilt()
    {
        byte[] payload = Superpackets.Pattern(ushort.MaxValue - 40);
        var ip = new PacketBuilder { Identification = 0xFFF0, DontFragment = true, TypeOfService = 0x02, Ttl = 63 };
        const uint FirstSequence = 0xFFFF_8000;
        const uint Acknowledgment = 0x0102_0304;
        byte[] superpacket = Superpackets.WithPartialChecksum(
            (ip with { Payload = payload }).Tcp(sequence: FirstSequence, acknowledgment: Acknowledgment, flags: TcpPackets.Ack | TcpPackets.Psh | TcpPackets.Fin));
        Assert.Equal(ushort.MaxValue, superpacket.Length);

        // hdr_len as the FORWARD path may report it (the whole first segment): it must not be trusted.
        List<byte[]> segments = Batches.Segment(superpacket, Superpackets.Tso(Mss, headerLength: Batches.Mtu));

        int expectedCount = (payload.Length + Mss - 1) / Mss;
        Assert.Equal(46, expectedCount);
        Assert.Equal(expectedCount, segments.Count);
        var reassembled = new List<byte>(payload.Length);
        for (int i = 0; i < segments.Count; i++)
        {
            byte[] segment = segments[i];
            bool last = i == segments.Count - 1;
            int payloadLength = last ? payload.Length - i * Mss : Mss;
            Assert.Equal(40 + payloadLength, segment.Length);
            Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(2)));
            Assert.Equal((ushort)(0xFFF0 + i), BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(4)));
            Assert.Equal(unchecked(FirstSequence + (uint)(i * Mss)), BinaryPrimitives.ReadUInt32BigEndian(segment.AsSpan(24)));
            Assert.Equal(Acknowledgment, BinaryPrimitives.ReadUInt32BigEndian(segment.AsSpan(28)));
            Assert.Equal(last ? TcpPackets.Ack | TcpPackets.Psh | TcpPackets.Fin : TcpPackets.Ack, segment[33]);
            Assert.True(ReferenceChecksum.HeaderIsValid(segment));
            Assert.Equal(ReferenceTcpChecksum(segment), BinaryPrimitives.ReadUInt16BigEndian(segment.AsSpan(36)));
            reassembled.AddRange(segment.AsSpan(40).ToArray());

            // The same segment built independently from scratch, byte for byte.
            byte[] expected = (ip with { Identification = (ushort)(0xFFF0 + i), Payload = payload.AsSpan(i * Mss, payloadLength).ToArray() })
                .Tcp(sequence: unchecked(FirstSequence + (uint)(i * Mss)), acknowledgment: Acknowledgment, flags: segment[33]);
            Assert.Equal(expected, segment);
        }
        Assert.Equal(payload, reassembled.ToArray());
    }

    [Fact]
    public void OptionsAreCopiedToEverySegmentAndEcnKeepsCwrOnTheFirstOnly()
    {
        byte[] options = TcpPackets.Timestamps(1000, 2000);
        int mss = Batches.Mtu - 52;
        byte[] payload = Superpackets.Pattern(3 * mss + 10);
        var ip = new PacketBuilder { Identification = 7, DontFragment = true };
        byte[] superpacket = Superpackets.WithPartialChecksum(
            TcpPackets.Build(ip, 5000, 6000, TcpPackets.Cwr | TcpPackets.Ack | TcpPackets.Psh, options, payload));

        List<byte[]> segments = Batches.Segment(superpacket, Superpackets.Tso(mss, headerLength: 52, ecn: true));

        byte[] expectedFlags = [TcpPackets.Cwr | TcpPackets.Ack, TcpPackets.Ack, TcpPackets.Ack, TcpPackets.Ack | TcpPackets.Psh];
        Assert.Equal(expectedFlags.Length, segments.Count);
        for (int i = 0; i < segments.Count; i++)
        {
            int payloadLength = Math.Min(mss, payload.Length - i * mss);
            byte[] expected = TcpPackets.Build(
                ip with { Identification = (ushort)(7 + i) },
                5000 + (uint)(i * mss),
                6000,
                expectedFlags[i],
                options,
                payload.AsSpan(i * mss, payloadLength));
            Assert.Equal(expected, segments[i]);
        }
    }

    [Fact]
    public void WithoutTheEcnBitCwrIsLeftOnEverySegment()
    {
        byte[] superpacket = Superpackets.WithPartialChecksum(
            (new PacketBuilder { Payload = Superpackets.Pattern(2 * Mss) }).Tcp(flags: TcpPackets.Cwr | TcpPackets.Ack));

        List<byte[]> segments = Batches.Segment(superpacket, Superpackets.Tso(Mss));

        Assert.Equal([TcpPackets.Cwr | TcpPackets.Ack, TcpPackets.Cwr | TcpPackets.Ack], segments.Select(s => s[33]).ToArray());
    }

    [Fact]
    public void SuperpacketWithIpv4OptionsKeepsThemAndChecksumsFromTheRealHeaderLength()
    {
        var ip = new PacketBuilder { Options = [0x94, 0x04, 0x00, 0x00], Identification = 1 };
        byte[] payload = Superpackets.Pattern(1000);
        byte[] superpacket = Superpackets.WithPartialChecksum((ip with { Payload = payload }).Tcp(sequence: 10));

        List<byte[]> segments = Batches.Segment(superpacket, new OffloadInfo
        {
            Flags = OffloadFlags.NeedsChecksum,
            GsoType = GsoType.TcpV4,
            GsoSize = 600,
            ChecksumStart = 24,
            ChecksumOffset = 16,
        });

        Assert.Equal(2, segments.Count);
        Assert.Equal((ip with { Identification = 1, Payload = payload[..600] }).Tcp(sequence: 10, flags: TcpPackets.Ack), segments[0]);
        Assert.Equal((ip with { Identification = 2, Payload = payload[600..] }).Tcp(sequence: 610), segments[1]);
    }

    [Fact]
    public void PayloadNoLargerThanTheGsoSizeGivesOneCompleteSegment()
    {
        byte[] complete = (new PacketBuilder { Payload = Superpackets.Pattern(100), Identification = 9 }).Tcp(sequence: 42);

        List<byte[]> segments = Batches.Segment(Superpackets.WithPartialChecksum(complete), Superpackets.Tso(Mss));

        Assert.Equal([complete], segments);
    }

    [Fact]
    public void UsoSplitsIntoDatagramsWithTheirOwnLengthAndChecksum()
    {
        byte[] payload = Superpackets.Pattern(2500);
        var ip = new PacketBuilder { Identification = 300, Ttl = 9 };
        byte[] superpacket = Superpackets.WithPartialChecksum((ip with { Payload = payload }).Udp(4789, 4789));

        List<byte[]> segments = Batches.Segment(superpacket, Superpackets.Uso(1000));

        Assert.Equal(3, segments.Count);
        for (int i = 0; i < segments.Count; i++)
        {
            int payloadLength = Math.Min(1000, payload.Length - i * 1000);
            Assert.Equal(8 + payloadLength, BinaryPrimitives.ReadUInt16BigEndian(segments[i].AsSpan(24)));
            byte[] expected = (ip with { Identification = (ushort)(300 + i), Payload = payload.AsSpan(i * 1000, payloadLength).ToArray() })
                .Udp(4789, 4789);
            Assert.Equal(expected, segments[i]);
        }
    }

    [Fact]
    public void PlainPacketWithoutChecksumWorkIsCopiedAsIs()
    {
        // Trailing bytes past the total length are copied too: trimming is the forwarder's job, as for a plain TUN.
        byte[] packet = [.. (new PacketBuilder { Payload = Superpackets.Pattern(300) }).Udp(), 0xEE, 0xEE];

        List<byte[]> segments = Batches.Segment(packet, OffloadInfo.None);

        Assert.Equal([packet], segments);
    }

    [Fact]
    public void BatchKeepsInputOrderAndEachSuperpacketsSegmentsTogether()
    {
        var ip = new PacketBuilder();
        byte[] plainBefore = (ip with { Payload = [1, 2, 3] }).Udp();
        byte[] tso = Superpackets.WithPartialChecksum((ip with { Payload = Superpackets.Pattern(3 * Mss) }).Tcp());
        byte[] v6 = (byte[])plainBefore.Clone();
        v6[0] = 0x60;
        byte[] plainAfter = (ip with { Payload = [4, 5] }).Udp();
        var input = new PacketBatch(4, OffloadLimits.MaximumPacketLength);
        Batches.Append(input, plainBefore, OffloadInfo.None);
        Batches.Append(input, tso, Superpackets.Tso(Mss));
        Batches.Append(input, v6, Superpackets.Tso(Mss) with { GsoType = GsoType.TcpV6 });
        Batches.Append(input, plainAfter, OffloadInfo.None);
        var output = new PacketBatch(16, Batches.Mtu);
        var tally = new ForwardingTally();

        SegmentationProgress progress = SuperpacketSegmenter.Segment(input, 0, output, tally);

        Assert.Equal(new SegmentationProgress(Consumed: 4, Appended: 5, Split: 1, SplitSegments: 3, Dropped: 1, DroppedBytes: v6.Length), progress);
        List<byte[]> packets = Batches.Packets(output);
        Assert.Equal(plainBefore, packets[0]);
        Assert.Equal(Batches.Segment(tso, Superpackets.Tso(Mss)), packets[1..4]);
        Assert.Equal(plainAfter, packets[4]);
        Assert.Equal(1, tally.DropsFor(DropReason.NotIpv4));
    }

    [Fact]
    public void FullOutputStopsBeforeASuperpacketAndTheNextCallContinuesWhereItStopped()
    {
        var ip = new PacketBuilder();
        var input = new PacketBatch(3, OffloadLimits.MaximumPacketLength);
        for (int i = 0; i < 3; i++)
        {
            byte[] superpacket = (ip with { Identification = (ushort)(i * 1000), Payload = Superpackets.Pattern(40 * Mss + i) }).Tcp(sequence: (uint)i << 24);
            Batches.Append(input, Superpackets.WithPartialChecksum(superpacket), Superpackets.Tso(Mss));
        }
        var oneShot = new PacketBatch(256, Batches.Mtu);
        SuperpacketSegmenter.Segment(input, 0, oneShot, new ForwardingTally());
        Assert.Equal(40 + 41 + 41, oneShot.Count);

        var output = new PacketBatch(64, Batches.Mtu);
        var pieces = new List<byte[]>();
        int next = 0;
        var consumedPerCall = new List<int>();
        for (int call = 0; call < 10 && next < input.Count; call++)
        {
            output.Count = 0;
            SegmentationProgress progress = SuperpacketSegmenter.Segment(input, next, output, new ForwardingTally());
            consumedPerCall.Add(progress.Consumed);
            Assert.Equal(output.Count, progress.Appended);
            next += progress.Consumed;
            pieces.AddRange(Batches.Packets(output));
        }

        Assert.Equal([1, 1, 1], consumedPerCall);
        Assert.Equal(Batches.Packets(oneShot), pieces);
    }

    [Fact]
    public void SegmentsAreAppendedAfterWhatTheOutputAlreadyHolds()
    {
        byte[] first = (new PacketBuilder { Payload = [9] }).Udp();
        var output = Batches.Of(Batches.Mtu, 8, first);
        var input = new PacketBatch(1, OffloadLimits.MaximumPacketLength);
        byte[] superpacket = Superpackets.WithPartialChecksum((new PacketBuilder { Payload = Superpackets.Pattern(2 * Mss) }).Tcp());
        Batches.Append(input, superpacket, Superpackets.Tso(Mss));

        SegmentationProgress progress = SuperpacketSegmenter.Segment(input, 0, output, new ForwardingTally());

        Assert.Equal(2, progress.Appended);
        Assert.Equal([first, .. Batches.Segment(superpacket, Superpackets.Tso(Mss))], Batches.Packets(output));
    }

    private static ushort ReferenceTcpChecksum(byte[] segment)
    {
        byte[] tcp = segment[20..];
        tcp[16] = 0;
        tcp[17] = 0;
        return ReferenceChecksum.Compute(tcp, ReferenceChecksum.PseudoHeaderSum(
            BinaryPrimitives.ReadUInt32BigEndian(segment.AsSpan(12)),
            BinaryPrimitives.ReadUInt32BigEndian(segment.AsSpan(16)),
            PacketBuilder.ProtocolTcp,
            tcp.Length));
    }
}
