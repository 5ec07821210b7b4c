using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Packets;

public sealed class IcmpNetUnreachableTests
{
    // UDP 10.244.1.2:40000 -> 10.244.9.9:5201, id 0x1234, DF, TTL 64, payload "abcd".
    private static readonly byte[] s_udpToNowhere = Hex.Bytes(
        "4500 0020 1234 4000 4011 08a7 0af4 0102 0af4 0909" +
        "9c40 1451 000c 6a8b 6162 6364");

    // Sent from 10.244.1.0: IHL 5, TOS 0, length 56, id 0, no flags, TTL 8, ICMP, to 10.244.1.2;
    // type 3 code 0, unused 0; the offending header and its first 8 payload bytes (the UDP header).
    private static readonly byte[] s_udpReply = Hex.Bytes(
        "4500 0038 0000 0000 0801 9adc 0af4 0100 0af4 0102" +
        "0300 e1d6 0000 0000" +
        "4500 0020 1234 4000 4011 08a7 0af4 0102 0af4 0909 9c40 1451 000c 6a8b");

    // TCP first fragment (MF) 10.244.3.5 -> 10.244.200.1 with one option word and only 3 payload bytes.
    private static readonly byte[] s_shortWithOptions = Hex.Bytes(
        "4610 001b beef 2000 0506 f2ee 0af4 0305 0af4 c801 0101 0100 0a0b0c");

    // Length 20 + 8 + 24 + 8 = 60: the quote holds the 27 bytes there are, then 5 zero bytes.
    private static readonly byte[] s_shortWithOptionsReply = Hex.Bytes(
        "4500 003c 0000 0000 0801 96d5 0af4 0300 0af4 0305" +
        "0300 e6f4 0000 0000" +
        "4610 001b beef 2000 0506 f2ee 0af4 0305 0af4 c801 0101 0100 0a0b0c 0000000000");

    [Fact]
    public void UdpPacketGetsFlannelsExactReply()
    {
        byte[] destination = new byte[IcmpNetUnreachable.MaximumLength];

        int length = IcmpNetUnreachable.Write(s_udpToNowhere, Ipv4.Parse("10.244.1.0"), destination);

        Assert.Equal(s_udpReply, destination.AsSpan(0, length).ToArray());
    }

    [Fact]
    public void ShortPacketWithOptionsIsQuotedAndZeroPadded()
    {
        byte[] destination = new byte[IcmpNetUnreachable.MaximumLength];
        Array.Fill(destination, (byte)0xEE);

        int length = IcmpNetUnreachable.Write(s_shortWithOptions, Ipv4.Parse("10.244.3.0"), destination);

        Assert.Equal(s_shortWithOptionsReply, destination.AsSpan(0, length).ToArray());
        Assert.Equal(0xEE, destination[length]);
    }

    [Fact]
    public void RepliesCheckOutAgainstTheReferenceChecksum()
    {
        byte[] offending = (PacketBuilder.Between("10.244.5.6", "10.244.77.1") with
        {
            Options = [1, 1, 1, 1, 1, 1, 1, 0],
            Payload = [9, 8, 7, 6, 5, 4, 3, 2, 1],
        }).Tcp();
        byte[] destination = new byte[IcmpNetUnreachable.MaximumLength];

        int length = IcmpNetUnreachable.Write(offending, Ipv4.Parse("10.244.5.0"), destination);

        Assert.Equal(20 + 8 + 28 + 8, length);
        Assert.True(ReferenceChecksum.HeaderIsValid(destination));
        Assert.Equal(0, ReferenceChecksum.Compute(destination.AsSpan(20, length - 20)));
        Assert.Equal(offending.AsSpan(0, 36).ToArray(), destination.AsSpan(28, 36).ToArray());
    }

    [Fact]
    public void LongestHeaderThatStillGetsAReplyFitsMaximumLength()
    {
        byte[] offending = new PacketBuilder { Options = new byte[36] }.Udp();
        byte[] destination = new byte[IcmpNetUnreachable.MaximumLength];

        int length = IcmpNetUnreachable.Write(offending, 1, destination);

        Assert.Equal(IcmpNetUnreachable.MaximumLength, length);
        Assert.Throws<ArgumentException>(() => IcmpNetUnreachable.Write(offending, 1, new byte[length - 1]));
    }

    [Fact]
    public void IcmpIsNeverAnsweredWithIcmp()
    {
        byte[] echo = new PacketBuilder().IcmpEcho();

        Assert.False(IcmpNetUnreachable.ShouldReply(echo));
        Assert.Equal(0, IcmpNetUnreachable.Write(echo, 1, new byte[IcmpNetUnreachable.MaximumLength]));
    }

    [Fact]
    public void OnlyTheFirstFragmentIsAnswered()
    {
        var fragment = new PacketBuilder { MoreFragments = true, Payload = new byte[16] };

        Assert.True(IcmpNetUnreachable.ShouldReply(fragment.Udp()));
        Assert.False(IcmpNetUnreachable.ShouldReply((fragment with { FragmentOffset = 1 }).Raw(PacketBuilder.ProtocolUdp, new byte[16])));
        Assert.False(IcmpNetUnreachable.ShouldReply((fragment with { FragmentOffset = 0x1FFF, MoreFragments = false }).Raw(6, new byte[8])));
    }

    [Fact]
    public void HeaderOfSixtyBytesIsTreatedAsMalformed()
    {
        byte[] longest = new PacketBuilder { Options = new byte[40] }.Udp();

        Assert.Equal(0, IcmpNetUnreachable.Write(longest, 1, new byte[200]));
    }

    [Fact]
    public void MalformedOrShortInputGetsNoReplyAndNoException()
    {
        byte[] destination = new byte[IcmpNetUnreachable.MaximumLength];
        byte[] ihlFour = new PacketBuilder().Udp();
        ihlFour[0] = 0x44;

        Assert.Equal(0, IcmpNetUnreachable.Write([], 1, destination));
        Assert.Equal(0, IcmpNetUnreachable.Write(s_udpToNowhere.AsSpan(0, 19), 1, destination));
        Assert.Equal(0, IcmpNetUnreachable.Write(ihlFour, 1, destination));
    }
}
