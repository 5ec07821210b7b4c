using System.Buffers.Binary;
using Overlay.DataPlane.Forwarding;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class PacketValidatorTests
{
    private static readonly byte[] s_valid = new PacketBuilder { Payload = [1, 2, 3, 4, 5] }.Udp();

    [Fact]
    public void WellFormedPacketPassesWithItsTotalLength()
    {
        Assert.Equal(DropReason.None, PacketValidator.Validate(s_valid, out int length));
        Assert.Equal(s_valid.Length, length);
    }

    [Fact]
    public void BytesPastTheTotalLengthAreReportedForTrimming()
    {
        byte[] padded = [.. s_valid, 0, 0, 0, 0, 0, 0];

        Assert.Equal(DropReason.None, PacketValidator.Validate(padded, out int length));
        Assert.Equal(s_valid.Length, length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    public void FewerThanTwentyBytesIsTooShort(int received)
    {
        Assert.Equal(DropReason.TooShort, PacketValidator.Validate(s_valid.AsSpan(0, received), out int length));
        Assert.Equal(0, length);
    }

    [Theory]
    [InlineData(0x65)]
    [InlineData(0x60)]
    [InlineData(0x05)]
    [InlineData(0xF5)]
    public void VersionOtherThanFourIsNotIpv4(byte versionAndIhl)
    {
        byte[] packet = (byte[])s_valid.Clone();
        packet[0] = versionAndIhl;

        Assert.Equal(DropReason.NotIpv4, PacketValidator.Validate(packet, out _));
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x44)]
    public void IhlBelowFiveIsABadHeaderLength(byte versionAndIhl)
    {
        byte[] packet = (byte[])s_valid.Clone();
        packet[0] = versionAndIhl;

        Assert.Equal(DropReason.BadHeaderLength, PacketValidator.Validate(packet, out _));
    }

    [Fact]
    public void HeaderLongerThanTheBytesReceivedIsABadHeaderLength()
    {
        byte[] packet = (byte[])s_valid.Clone();
        packet[0] = 0x4F;

        Assert.Equal(DropReason.BadHeaderLength, PacketValidator.Validate(packet, out _));
    }

    [Fact]
    public void TotalLengthShorterThanTheHeaderIsABadHeaderLength()
    {
        byte[] packet = new PacketBuilder { Options = [1, 1, 1, 0] }.Udp();
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 22);

        Assert.Equal(DropReason.BadHeaderLength, PacketValidator.Validate(packet, out _));
    }

    [Fact]
    public void TotalLengthBeyondTheBytesReceivedIsTruncated()
    {
        Assert.Equal(DropReason.Truncated, PacketValidator.Validate(s_valid.AsSpan(0, s_valid.Length - 1), out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void HeaderOnlyPacketIsValid()
    {
        byte[] bare = new PacketBuilder().Raw(59, []);

        Assert.Equal(DropReason.None, PacketValidator.Validate(bare, out int length));
        Assert.Equal(20, length);
    }
}
