using System.Buffers.Binary;
using Overlay.DataPlane.Packets;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Packets;

public sealed class TtlDecrementTests
{
    [Fact]
    public void KnownHeaderLosesOneHopAndItsChecksumRisesBy0x0100()
    {
        byte[] header = Hex.Bytes("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");

        Assert.True(TtlDecrement.TryApply(header));

        Assert.Equal(Hex.Bytes("4500 0073 0000 4000 3f11 b961 c0a8 0001 c0a8 00c7"), header);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void TtlOfZeroOrOneIsRefusedAndTheHeaderLeftAlone(byte ttl)
    {
        byte[] packet = new PacketBuilder { Ttl = ttl }.Udp();
        byte[] before = (byte[])packet.Clone();

        Assert.False(TtlDecrement.TryApply(packet));

        Assert.Equal(before, packet);
    }

    [Fact]
    public void TtlOfTwoBecomesOne()
    {
        byte[] packet = new PacketBuilder { Ttl = 2 }.Udp();

        Assert.True(TtlDecrement.TryApply(packet));

        Assert.Equal(1, Ipv4Header.Ttl(packet));
        Assert.True(ReferenceChecksum.HeaderIsValid(packet));
    }

    [Fact]
    public void MatchesFullRecomputationOverRandomHeaders()
    {
        var random = new Random(1624);
        byte[] header = new byte[60];
        for (int round = 0; round < 20000; round++)
        {
            int headerLength = 20 + (4 * random.Next(0, 11));
            Span<byte> span = header.AsSpan(0, headerLength);
            random.NextBytes(span);
            span[0] = (byte)(0x40 | (headerLength / 4));
            span[8] = (byte)random.Next(2, 256);
            WriteFullChecksum(span);
            byte[] expected = span.ToArray();
            expected[8]--;
            WriteFullChecksum(expected);

            Assert.True(TtlDecrement.TryApply(span));

            Assert.Equal(expected, span.ToArray());
        }
    }

    [Fact]
    public void ProducesZeroWhereFullRecomputationDoes()
    {
        // Choose the identification so that, after the decrement, the other words sum to 0xFFFF: the full
        // recomputation is then 0x0000, where the shortcut HC + 0x0100 would give 0xFFFF.
        var random = new Random(0xFFFF);
        for (int round = 0; round < 500; round++)
        {
            byte[] packet = new PacketBuilder { Ttl = (byte)random.Next(2, 256), Source = (uint)random.Next() }.Udp();
            packet[4] = 0;
            packet[5] = 0;
            packet[8]--;
            packet[10] = 0;
            packet[11] = 0;
            ushort identification = (ushort)(0xFFFF - FoldedSum(packet.AsSpan(0, 20)));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identification);
            Assert.Equal(0, ReferenceChecksum.Compute(packet.AsSpan(0, 20)));
            packet[8]++;
            WriteFullChecksum(packet.AsSpan(0, 20));
            Assert.Equal(0xFEFF, Ipv4Header.Checksum(packet));

            Assert.True(TtlDecrement.TryApply(packet));

            Assert.Equal(0x0000, Ipv4Header.Checksum(packet));
            Assert.True(ReferenceChecksum.HeaderIsValid(packet));
        }
    }

    [Fact]
    public void AcceptsAllOnesAsTheOtherSpellingOfAZeroChecksum()
    {
        // A header whose correct checksum is 0x0000 may carry 0xFFFF (negative zero) instead; both must come out right.
        byte[] zeroSpelling = new PacketBuilder().Udp();
        zeroSpelling[10] = 0;
        zeroSpelling[11] = 0;
        ushort identification = (ushort)(0xFFFF - FoldedSum(zeroSpelling.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(zeroSpelling.AsSpan(4), identification);
        Assert.Equal(0, ReferenceChecksum.Compute(zeroSpelling.AsSpan(0, 20)));
        byte[] onesSpelling = (byte[])zeroSpelling.Clone();
        onesSpelling[10] = 0xFF;
        onesSpelling[11] = 0xFF;

        Assert.True(TtlDecrement.TryApply(zeroSpelling));
        Assert.True(TtlDecrement.TryApply(onesSpelling));

        Assert.Equal(0x0100, Ipv4Header.Checksum(zeroSpelling));
        Assert.Equal(0x0100, Ipv4Header.Checksum(onesSpelling));
        Assert.True(ReferenceChecksum.HeaderIsValid(onesSpelling));
    }

    private static void WriteFullChecksum(Span<byte> header)
    {
        header[10] = 0;
        header[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], ReferenceChecksum.Compute(header));
    }

    private static ushort FoldedSum(ReadOnlySpan<byte> data) => (ushort)~ReferenceChecksum.Compute(data);
}
