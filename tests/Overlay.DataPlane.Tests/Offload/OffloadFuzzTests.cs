using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>
/// Random garbage and randomly damaged packets through both stages: they never throw, and what comes out keeps the
/// stages' invariants. Seeds are fixed, so a failure reproduces.
/// </summary>
public sealed class OffloadFuzzTests
{
    private const int Cases = 100_000;
    private const int SmallMtu = 256;

    [Fact]
    public void SegmenterNeverThrowsAndEverySegmentItCutsIsWellFormed()
    {
        var random = new Random(8285);
        var input = new PacketBatch(4, OffloadLimits.MaximumPacketLength);
        var output = new PacketBatch(16, SmallMtu);
        var tally = new ForwardingTally();
        long split = 0;
        for (int round = 0; round < Cases / input.Capacity; round++)
        {
            input.Count = input.Capacity;
            for (int slot = 0; slot < input.Capacity; slot++)
            {
                FillSuperpacket(random, input, slot);
            }

            // The whole batch, through an output that starts partly full so calls stop early and resume.
            output.Count = random.Next(0, 3);
            int next = 0;
            for (int call = 0; call <= input.Capacity && next < input.Count; call++)
            {
                int before = output.Count;
                SegmentationProgress progress = SuperpacketSegmenter.Segment(input, next, output, tally);
                Assert.Equal(output.Count - before, progress.Appended);
                Assert.True(progress.Consumed > 0 || before > 0, "an emptied output must always make progress");
                for (int i = before; i < output.Count; i++)
                {
                    Assert.InRange(output.Length(i), 0, output.SlotSize);
                }
                next += progress.Consumed;
                output.Count = 0;
            }
            Assert.Equal(input.Count, next);

            // Each slot alone, so whatever a split produced can be checked segment by segment.
            for (int slot = 0; slot < input.Capacity; slot++)
            {
                input.Count = slot + 1;
                output.Count = 0;
                SegmentationProgress progress = SuperpacketSegmenter.Segment(input, slot, output, tally);
                Assert.Equal(1, progress.Consumed);
                if (progress.Split == 1)
                {
                    split++;
                    Assert.Equal(output.Count, progress.SplitSegments);
                    for (int i = 0; i < output.Count; i++)
                    {
                        AssertWellFormedSegment(Batches.Whole(output, i));
                    }
                }
            }
        }
        Assert.True(split > Cases / 100, $"only {split} superpackets were split: the generator no longer exercises splitting");
    }

    [Fact]
    public void CoalescerNeverThrowsAndLosesOrInventsNoBytes()
    {
        var random = new Random(1071);
        var input = new PacketBatch(8, 512);
        var output = new PacketBatch(8, OffloadLimits.MaximumPacketLength);
        var coalescer = new GroCoalescer(8, mergeUdp: true);
        long merged = 0;
        for (int round = 0; round < Cases / input.Capacity; round++)
        {
            input.Count = random.Next(0, input.Capacity + 1);
            long inputBytes = 0;
            int inputPackets = 0;
            int[] nextIndex = new int[2];
            for (int slot = 0; slot < input.Count; slot++)
            {
                FillSegment(random, input, slot, nextIndex);
                int length = input.Length(slot);
                if (length > 0 && length <= input.SlotSize)
                {
                    inputBytes += length;
                    inputPackets++;
                }
            }

            CoalescingResult result = coalescer.Coalesce(input, output);

            merged += result.MergedPackets;
            long outputBytes = 0;
            int outputPackets = 0;
            for (int slot = 0; slot < output.Count; slot++)
            {
                int packets = coalescer.SegmentCount(slot);
                OffloadInfo offload = output.Offload(slot);
                outputPackets += packets;
                outputBytes += output.Length(slot) + (long)(packets - 1) * offload.HeaderLength;
                if (packets > 1)
                {
                    Assert.Contains(offload.GsoType, (GsoType[])[GsoType.TcpV4, GsoType.UdpL4]);
                    Assert.InRange(offload.GsoSize, 1, output.Length(slot) - offload.HeaderLength - 1);
                    Assert.True(ReferenceChecksum.HeaderIsValid(Batches.Whole(output, slot)));
                }
            }
            Assert.Equal(inputPackets, outputPackets);
            Assert.Equal(inputBytes, outputBytes);
        }
        Assert.True(merged > Cases / 20, $"only {merged} packets were merged: the generator no longer exercises merging");
    }

    /// <summary>A superpacket that is valid, damaged, described by lying metadata, or pure noise.</summary>
    private static void FillSuperpacket(Random random, PacketBatch batch, int slot)
    {
        byte[] packet;
        OffloadInfo offload;
        int kind = random.Next(4);
        if (kind == 0)
        {
            packet = new byte[random.Next(0, 400)];
            random.NextBytes(packet);
            offload = RandomOffload(random);
        }
        else
        {
            var ip = new PacketBuilder { Identification = (ushort)random.Next(), Payload = new byte[random.Next(0, 2000)] };
            bool tcp = random.Next(2) == 0;
            packet = Superpackets.WithPartialChecksum(tcp ? ip.Tcp(sequence: (uint)random.Next()) : ip.Udp());
            int headerLength = tcp ? 40 : 28;
            offload = random.Next(3) switch
            {
                0 => RandomOffload(random),
                _ when tcp => Superpackets.Tso(random.Next(0, SmallMtu), headerLength: random.Next(0, 100)),
                _ => Superpackets.Uso(random.Next(0, SmallMtu)),
            };
            if (kind == 2)
            {
                for (int flips = random.Next(1, 4); flips > 0 && packet.Length > 0; flips--)
                {
                    packet[random.Next(Math.Min(packet.Length, 64))] = (byte)random.Next();
                }
            }
            if (kind == 3 && packet.Length > 0)
            {
                packet = packet[..random.Next(packet.Length)];
            }
        }
        packet.CopyTo(batch.Slot(slot));
        batch.Length(slot) = random.Next(50) == 0 ? random.Next(-5, int.MaxValue) : packet.Length;
        batch.Offload(slot) = offload;
    }

    private static OffloadInfo RandomOffload(Random random) => new()
    {
        Flags = (OffloadFlags)random.Next(4),
        GsoType = (GsoType)(random.Next(2) == 0 ? random.Next(256) : new[] { 0, 1, 4, 5, 0x81 }[random.Next(5)]),
        HeaderLength = (ushort)random.Next(0x10000),
        GsoSize = (ushort)(random.Next(2) == 0 ? random.Next(0x10000) : random.Next(0, 300)),
        ChecksumStart = (ushort)(random.Next(2) == 0 ? random.Next(0x10000) : random.Next(0, 60)),
        ChecksumOffset = (ushort)(random.Next(2) == 0 ? random.Next(0x10000) : random.Next(0, 60)),
    };

    /// <summary>Mostly in-order segments of two flows, interleaved, some reordered, damaged or odd-sized, some noise.</summary>
    private static void FillSegment(Random random, PacketBatch batch, int slot, int[] nextIndex)
    {
        byte[] packet;
        int kind = random.Next(10);
        if (kind == 0)
        {
            packet = new byte[random.Next(0, 120)];
            random.NextBytes(packet);
            if (packet.Length > 0 && random.Next(2) == 0)
            {
                packet[0] = 0x45;
            }
        }
        else
        {
            int flowIndex = random.Next(2);
            var flow = new TcpFlow
            {
                SourcePort = (ushort)(40000 + flowIndex),
                SegmentSize = 100,
                Options = flowIndex == 0 ? [] : TcpPackets.Timestamps(1, 2),
            };
            int index = random.Next(5) == 0 ? random.Next(8) : nextIndex[flowIndex]++;
            int length = random.Next(8) == 0 ? random.Next(0, 101) : 100;
            byte flags = random.Next(8) == 0 ? (byte)random.Next(256) : random.Next(6) == 0 ? (byte)0x18 : (byte)0x10;
            packet = flow.Segment(index, 8, length, flow.FirstSequence + (uint)(index * 100), flags);
            if (kind == 1)
            {
                packet[random.Next(packet.Length)] = (byte)random.Next();
            }
            if (kind == 2 && random.Next(3) == 0)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)random.Next());
            }
        }
        packet.CopyTo(batch.Slot(slot));
        batch.Length(slot) = random.Next(100) == 0 ? random.Next(-5, 1000) : packet.Length;
    }

    /// <summary>A segment cut from a superpacket: exact total length, valid IPv4 and transport checksums.</summary>
    private static void AssertWellFormedSegment(ReadOnlySpan<byte> segment)
    {
        Assert.True(ReferenceChecksum.HeaderIsValid(segment));
        Assert.Equal(segment.Length, BinaryPrimitives.ReadUInt16BigEndian(segment[2..]));
        int ipHeaderLength = (segment[0] & 0x0F) * 4;
        ulong pseudo = ReferenceChecksum.PseudoHeaderSum(
            BinaryPrimitives.ReadUInt32BigEndian(segment[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(segment[16..]),
            segment[9],
            segment.Length - ipHeaderLength);
        Assert.Equal(0, ReferenceChecksum.Compute(segment[ipHeaderLength..], pseudo));
    }
}
