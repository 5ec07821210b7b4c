using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>GSO type none with NEEDS_CSUM: the segmenter finishes the checksum the kernel left partial.</summary>
public sealed class PartialChecksumTests
{
    [Theory]
    [InlineData(PacketBuilder.ProtocolTcp, 0)]
    [InlineData(PacketBuilder.ProtocolTcp, 1)]
    [InlineData(PacketBuilder.ProtocolTcp, 1377)]
    [InlineData(PacketBuilder.ProtocolTcp, 1432)]
    [InlineData(PacketBuilder.ProtocolUdp, 0)]
    [InlineData(PacketBuilder.ProtocolUdp, 17)]
    [InlineData(PacketBuilder.ProtocolUdp, 1444)]
    public void CompletedChecksumEqualsAFullRecomputation(byte protocol, int payloadLength)
    {
        var ip = new PacketBuilder { Payload = Superpackets.Pattern(payloadLength), Identification = 4 };
        byte[] complete = protocol == PacketBuilder.ProtocolTcp ? ip.Tcp() : ip.Udp();
        byte[] partial = Superpackets.WithPartialChecksum(complete);
        Assert.NotEqual(complete, partial);

        List<byte[]> output = Batches.Segment(partial, Partial(20, protocol == PacketBuilder.ProtocolTcp ? 16 : 6));

        Assert.Equal([complete], output);
    }

    [Fact]
    public void ChecksumStartAfterIpv4OptionsIsHonoured()
    {
        var ip = new PacketBuilder { Options = [1, 1, 1, 0], Payload = Superpackets.Pattern(333) };
        byte[] complete = ip.Tcp();

        List<byte[]> output = Batches.Segment(Superpackets.WithPartialChecksum(complete), Partial(24, 16));

        Assert.Equal([complete], output);
    }

    [Fact]
    public void RandomRegionsAndSeedsMatchTheDefinition()
    {
        // The definition: the sum from ChecksumStart to the end, the field counted as zero, seeded with the field's
        // value; stored complemented, and a zero result stored as 0xFFFF.
        var random = new Random(1624);
        for (int round = 0; round < 2000; round++)
        {
            var ip = new PacketBuilder { Payload = Superpackets.Pattern(random.Next(8, 1400)), Identification = (ushort)round };
            byte[] packet = ip.Raw(PacketBuilder.ProtocolUdp, ip.Payload);
            int start = 20 + random.Next(0, 4) * 2;
            int offset = random.Next(0, (packet.Length - start - 2) / 2 + 1) * 2;
            int field = start + offset;
            ushort seed = (ushort)random.Next(0, 0x10000);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(field), seed);

            byte[] output = Assert.Single(Batches.Segment(packet, Partial(start, offset)));

            byte[] expected = (byte[])packet.Clone();
            expected[field] = 0;
            expected[field + 1] = 0;
            ushort checksum = ReferenceChecksum.Compute(expected.AsSpan(start), seed);
            BinaryPrimitives.WriteUInt16BigEndian(expected.AsSpan(field), checksum == 0 ? (ushort)0xFFFF : checksum);
            Assert.Equal(expected, output);
        }
    }

    private static OffloadInfo Partial(int start, int offset) => new()
    {
        Flags = OffloadFlags.NeedsChecksum,
        ChecksumStart = (ushort)start,
        ChecksumOffset = (ushort)offset,
    };
}
