using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>UDP datagrams of one flow merged into a UdpL4 superpacket (USO on the TUN write), and what must not merge.</summary>
public sealed class UdpCoalescingTests
{
    private const int HeaderLength = 20 + 8;

    [Fact]
    public void FortyDatagramsOfOneFlowBecomeOneUsoSuperpacketExactlyAsSpecified()
    {
        byte[][] datagrams = Datagrams(40, payload: 64);
        var (output, result, coalescer) = Coalesce(datagrams);

        Assert.Equal(new CoalescingResult(1, 40), result);
        Assert.Equal(40, coalescer.SegmentCount(0));
        Assert.Equal(
            new OffloadInfo
            {
                Flags = OffloadFlags.NeedsChecksum,
                GsoType = GsoType.UdpL4,
                HeaderLength = HeaderLength,
                GsoSize = 64,
                ChecksumStart = 20,
                ChecksumOffset = 6,
            },
            output.Offload(0));
        byte[] superpacket = output.Packet(0).ToArray();
        int expectedLength = HeaderLength + 40 * 64;
        Assert.Equal(expectedLength, superpacket.Length);
        Assert.Equal(expectedLength, BinaryPrimitives.ReadUInt16BigEndian(superpacket.AsSpan(2)));
        Assert.True(ReferenceChecksum.HeaderIsValid(superpacket));
        Assert.Equal(datagrams[0].AsSpan(4, 6).ToArray(), superpacket.AsSpan(4, 6).ToArray());
        Assert.Equal(datagrams[0].AsSpan(12, 12).ToArray(), superpacket.AsSpan(12, 12).ToArray());
        Assert.Equal(expectedLength - 20, BinaryPrimitives.ReadUInt16BigEndian(superpacket.AsSpan(24)));
        Assert.Equal(
            Superpackets.PseudoHeaderFold(superpacket, PacketBuilder.ProtocolUdp, expectedLength - 20),
            BinaryPrimitives.ReadUInt16BigEndian(superpacket.AsSpan(26)));
        Assert.Equal(datagrams.SelectMany(d => d[HeaderLength..]).ToArray(), superpacket[HeaderLength..]);
    }

    [Fact]
    public void SuperpacketCutByTheSegmenterReproducesTheOriginalDatagramsByteForByte()
    {
        // Consecutive IPv4 ids, as the kernel gives the datagrams it cuts from a USO superpacket.
        byte[][] datagrams = [.. Datagrams(7, payload: 300), Datagram(7, payload: 41)];
        var (output, result, _) = Coalesce(datagrams);
        Assert.Equal(new CoalescingResult(1, 8), result);

        Assert.Equal(datagrams, Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)));
    }

    [Fact]
    public void AShorterDatagramEndsTheMergeAndTheNextStartsANewOne()
    {
        byte[][] datagrams = [Datagram(0, 64), Datagram(1, 64), Datagram(2, 30), Datagram(3, 64), Datagram(4, 64), Datagram(5, 100)];
        var (output, result, coalescer) = Coalesce(datagrams);

        Assert.Equal(new CoalescingResult(2, 5), result);
        Assert.Equal([3, 2, 1], Enumerable.Range(0, output.Count).Select(coalescer.SegmentCount));
        Assert.Equal(datagrams[5], output.Packet(2).ToArray());
        Assert.Equal(OffloadInfo.None, output.Offload(2));
    }

    [Fact]
    public void NoSuperpacketHoldsMoreDatagramsThanEveryKernelAccepts()
    {
        byte[][] datagrams = Datagrams(GroCoalescer.MaxUdpSegments + 6, payload: 10);
        var (output, result, coalescer) = Coalesce(datagrams);

        Assert.Equal(new CoalescingResult(2, GroCoalescer.MaxUdpSegments + 6), result);
        Assert.Equal([GroCoalescer.MaxUdpSegments, 6], Enumerable.Range(0, output.Count).Select(coalescer.SegmentCount));
    }

    [Fact]
    public void DatagramsThatMustNotMergePassThroughUnchangedAndInOrder()
    {
        var ip = new PacketBuilder { Payload = new byte[32] };
        byte[] noChecksum = ip.Udp();
        noChecksum[26] = 0;
        noChecksum[27] = 0;
        byte[] badChecksum = ip.Udp();
        badChecksum[^1] ^= 0xFF;
        byte[] fragment = (ip with { MoreFragments = true }).Udp();
        byte[] withOptions = (ip with { Options = [1, 1, 1, 0] }).Udp();
        byte[][] packets = [noChecksum, noChecksum, badChecksum, badChecksum, fragment, fragment, withOptions, withOptions];

        var (output, result, _) = Coalesce(packets);

        Assert.Equal(new CoalescingResult(0, 0), result);
        Assert.Equal(packets, Batches.Packets(output));
    }

    [Fact]
    public void ADifferentTtlTosOrDfStartsANewMergeAndAnotherFlowNeverJoins()
    {
        // Each pair differs from the pair before it in exactly one field, so each check is needed on its own.
        var ip = new PacketBuilder { Payload = new byte[50], DontFragment = true };
        PacketBuilder tos = ip with { TypeOfService = 4 };
        PacketBuilder noDf = tos with { DontFragment = false, Identification = 7 };
        PacketBuilder ttl = noDf with { Ttl = 9, Identification = 9 };
        byte[][] packets =
        [
            ip.Udp(), ip.Udp(),
            tos.Udp(), tos.Udp(),
            noDf.Udp(), (noDf with { Identification = 8 }).Udp(),
            ttl.Udp(), (ttl with { Identification = 10 }).Udp(),
            ip.Udp(sourcePort: 1), ip.Tcp(),
        ];

        var (output, result, coalescer) = Coalesce(packets);

        Assert.Equal(new CoalescingResult(4, 8), result);
        Assert.Equal([2, 2, 2, 2, 1, 1], Enumerable.Range(0, output.Count).Select(coalescer.SegmentCount));
    }

    [Fact]
    public void WithoutDfOnlyConsecutiveIdsMergeBecauseTheKernelRenumbersThem()
    {
        var ip = new PacketBuilder { Payload = new byte[40] };
        byte[][] packets =
        [
            (ip with { Identification = 100 }).Udp(), (ip with { Identification = 101 }).Udp(),
            (ip with { Identification = 500 }).Udp(), (ip with { Identification = 501 }).Udp(),
            (ip with { Identification = 502 }).Udp(),
        ];

        var (output, result, coalescer) = Coalesce(packets);

        Assert.Equal(new CoalescingResult(2, 5), result);
        Assert.Equal([2, 3], Enumerable.Range(0, output.Count).Select(coalescer.SegmentCount));
        Assert.Equal(packets, Batches.Segment(output.Packet(0).ToArray(), output.Offload(0)).Concat(Batches.Segment(output.Packet(1).ToArray(), output.Offload(1))));
    }

    [Fact]
    public void WithDfAnyIdsMerge()
    {
        var ip = new PacketBuilder { Payload = new byte[40], DontFragment = true };
        byte[][] packets = [(ip with { Identification = 0 }).Udp(), (ip with { Identification = 0 }).Udp(), (ip with { Identification = 900 }).Udp()];

        var (_, result, _) = Coalesce(packets);

        Assert.Equal(new CoalescingResult(1, 3), result);
    }

    [Fact]
    public void ACorruptFirstDatagramIsPassedThroughAndTheValidOnesAfterItMerge()
    {
        byte[][] datagrams = Datagrams(4, payload: 64);
        byte[] corrupt = (byte[])datagrams[0].Clone();
        corrupt[^1] ^= 0x5A;
        byte[][] packets = [corrupt, .. datagrams[1..]];

        var (output, result, coalescer) = Coalesce(packets);

        Assert.Equal(new CoalescingResult(1, 3), result);
        Assert.Equal([1, 3], Enumerable.Range(0, output.Count).Select(coalescer.SegmentCount));
        Assert.Equal(corrupt, output.Packet(0).ToArray());
        Assert.Equal(OffloadInfo.None, output.Offload(0));
    }

    [Fact]
    public void RandomInterleavedFlowsComeBackByteForByteAndInOrderPerFlow()
    {
        var random = new Random(6872);
        var coalescer = new GroCoalescer(64, mergeUdp: true);
        var output = new PacketBatch(64, OffloadLimits.MaximumPacketLength);
        int merged = 0;
        for (int round = 0; round < 300; round++)
        {
            // Three flows; sizes repeat often enough to merge; ids usually consecutive; DF, TTL and corruption vary.
            var ids = new ushort[3];
            var sent = new List<byte[]>[] { [], [], [] };
            var input = new PacketBatch(64, Batches.Mtu);
            int count = random.Next(1, 65);
            for (int i = 0; i < count; i++)
            {
                int flow = random.Next(3);
                ids[flow] += (ushort)(random.Next(10) == 0 ? 7 : 1);
                int[] sizes = [64, 64, 64, 200, 30];
                byte[] packet = new PacketBuilder
                {
                    Identification = ids[flow],
                    DontFragment = random.Next(4) == 0,
                    Ttl = (byte)(random.Next(8) == 0 ? 9 : 64),
                    Payload = Superpackets.Pattern(sizes[random.Next(sizes.Length)]),
                }.Udp(sourcePort: (ushort)(1000 + flow));
                if (random.Next(20) == 0)
                {
                    packet[^1] ^= 0xFF;
                }
                sent[flow].Add(WithoutMeaninglessId(packet));
                Batches.Append(input, packet, OffloadInfo.None);
            }

            CoalescingResult result = coalescer.Coalesce(input, output);

            merged += result.MergedPackets;
            var received = new List<byte[]>[] { [], [], [] };
            for (int slot = 0; slot < output.Count; slot++)
            {
                byte[] packet = output.Packet(slot).ToArray();
                List<byte[]> plain = output.Offload(slot).GsoType == GsoType.UdpL4 ? Batches.Segment(packet, output.Offload(slot)) : [packet];
                foreach (byte[] datagram in plain)
                {
                    received[BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(20)) - 1000].Add(WithoutMeaninglessId(datagram));
                }
            }
            for (int flow = 0; flow < 3; flow++)
            {
                Assert.Equal(sent[flow], received[flow]);
            }
        }
        Assert.True(merged > 1_000, $"only {merged} datagrams were merged: the generator no longer exercises merging");
    }

    [Fact]
    public void WithoutUsoOnTheTunUdpIsNeverMerged()
    {
        byte[][] datagrams = Datagrams(10, payload: 64);
        PacketBatch input = Batches.Of(Batches.Mtu, datagrams);
        var output = new PacketBatch(input.Capacity, OffloadLimits.MaximumPacketLength);

        CoalescingResult result = new GroCoalescer(input.Capacity).Coalesce(input, output);

        Assert.Equal(new CoalescingResult(0, 0), result);
        Assert.Equal(datagrams, Batches.Packets(output));
    }

    /// <summary>
    /// With DF set the IPv4 id means nothing (RFC 6864) and the kernel renumbers merged datagrams: compare such packets
    /// without the id and the header checksum that covers it. Without DF every byte must come back.
    /// </summary>
    private static byte[] WithoutMeaninglessId(byte[] packet)
    {
        if ((packet[6] & 0x40) == 0)
        {
            return packet;
        }
        byte[] copy = (byte[])packet.Clone();
        copy.AsSpan(4, 2).Clear();
        copy.AsSpan(10, 2).Clear();
        return copy;
    }

    private static byte[][] Datagrams(int count, int payload) => [.. Enumerable.Range(0, count).Select(i => Datagram(i, payload))];

    private static byte[] Datagram(int index, int payload)
    {
        byte[] bytes = new byte[payload];
        for (int i = 0; i < payload; i++)
        {
            bytes[i] = (byte)(index * 7 + i);
        }
        return new PacketBuilder { Identification = (ushort)(0xFFFA + index), Payload = bytes }.Udp();
    }

    private static (PacketBatch Output, CoalescingResult Result, GroCoalescer Coalescer) Coalesce(byte[][] packets)
    {
        PacketBatch input = Batches.Of(Batches.Mtu, packets);
        var output = new PacketBatch(input.Capacity, OffloadLimits.MaximumPacketLength);
        var coalescer = new GroCoalescer(input.Capacity, mergeUdp: true);
        CoalescingResult result = coalescer.Coalesce(input, output);
        return (output, result, coalescer);
    }
}
