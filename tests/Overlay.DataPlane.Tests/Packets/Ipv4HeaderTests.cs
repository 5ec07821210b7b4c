using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Packets;

public sealed class Ipv4HeaderTests
{
    // Version 4, IHL 6, TOS 0x10, length 27, id 0xbeef, MF set, offset 0, TTL 5, TCP, 10.244.3.5 -> 10.244.200.1,
    // options NOP NOP NOP EOL, three payload bytes.
    private static readonly byte[] s_packet = Hex.Bytes("4610 001b beef 2000 0506 f2ee 0af4 0305 0af4 c801 0101 0100 0a0b0c");

    [Fact]
    public void ReadsEveryFieldOfAHandWrittenHeader()
    {
        Assert.Equal(4, Ipv4Header.Version(s_packet));
        Assert.Equal(6, Ipv4Header.Ihl(s_packet));
        Assert.Equal(24, Ipv4Header.HeaderLength(s_packet));
        Assert.Equal(0x10, Ipv4Header.TypeOfService(s_packet));
        Assert.Equal(27, Ipv4Header.TotalLength(s_packet));
        Assert.Equal(0xBEEF, Ipv4Header.Identification(s_packet));
        Assert.Equal(0b001, Ipv4Header.Flags(s_packet));
        Assert.True(Ipv4Header.MoreFragments(s_packet));
        Assert.False(Ipv4Header.DontFragment(s_packet));
        Assert.Equal(0, Ipv4Header.FragmentOffset(s_packet));
        Assert.Equal(5, Ipv4Header.Ttl(s_packet));
        Assert.Equal(Ipv4Header.ProtocolTcp, Ipv4Header.Protocol(s_packet));
        Assert.Equal(0xF2EE, Ipv4Header.Checksum(s_packet));
        Assert.Equal(Ipv4.Parse("10.244.3.5"), Ipv4Header.Source(s_packet));
        Assert.Equal(Ipv4.Parse("10.244.200.1"), Ipv4Header.Destination(s_packet));
        Assert.True(Ipv4Header.HasValidChecksum(s_packet));
    }

    [Fact]
    public void ReadsFragmentFieldsTheBuilderWrote()
    {
        byte[] packet = new PacketBuilder { DontFragment = true, FragmentOffset = 0x1ABC, Identification = 42 }.Raw(99, [1, 2]);

        Assert.True(Ipv4Header.DontFragment(packet));
        Assert.False(Ipv4Header.MoreFragments(packet));
        Assert.Equal(0x1ABC, Ipv4Header.FragmentOffset(packet));
        Assert.Equal(42, Ipv4Header.Identification(packet));
        Assert.Equal(99, Ipv4Header.Protocol(packet));
    }

    [Fact]
    public void EveryAccessorRefusesASpanShorterThanAHeader()
    {
        byte[] shortSpan = s_packet[..19];

        Assert.Throws<ArgumentException>(() => Ipv4Header.Version(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Ihl(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.TotalLength(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Identification(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.FragmentOffset(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Ttl(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Protocol(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Checksum(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Source(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.Destination(shortSpan));
        Assert.Throws<ArgumentException>(() => Ipv4Header.UpdateChecksum(shortSpan));
    }

    [Fact]
    public void ChecksumValidityIsFalseRatherThanAThrowForBadHeaders()
    {
        Assert.False(Ipv4Header.HasValidChecksum(s_packet.AsSpan(0, 10)));
        Assert.False(Ipv4Header.HasValidChecksum(s_packet.AsSpan(0, 22)));
        byte[] ihlFour = (byte[])s_packet.Clone();
        ihlFour[0] = 0x44;
        Assert.False(Ipv4Header.HasValidChecksum(ihlFour));
    }

    [Fact]
    public void UpdateChecksumCoversTheOptions()
    {
        byte[] packet = (byte[])s_packet.Clone();
        packet[21] = 0x44;
        Assert.False(Ipv4Header.HasValidChecksum(packet));

        Ipv4Header.UpdateChecksum(packet);

        Assert.True(ReferenceChecksum.HeaderIsValid(packet));
        Assert.Equal(0, ReferenceChecksum.Compute(packet.AsSpan(0, 24)));
    }
}
