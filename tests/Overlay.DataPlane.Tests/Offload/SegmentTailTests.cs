using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>
/// A segment cut from a superpacket is its own headers in a segment slot plus a tail that points at its payload where
/// the TUN read left it: the segmenter copies headers, never payload.
/// </summary>
public sealed class SegmentTailTests
{
    private const int Mss = Batches.Mtu - 40;

    [Fact]
    public void EachTcpSegmentKeepsOnlyItsHeadersInItsSlotAndPointsAtItsPayloadInTheSuperpacket()
    {
        int payloadLength = 3 * Mss + 100;
        byte[] superpacket = Superpackets.Tcp(0x0AF40102, 0x0AF40203, payloadLength, ttl: 64);
        (PacketBatch input, PacketBatch output) = Segment(superpacket, Superpackets.Tso(Mss));

        Assert.Equal(4, output.Count);
        Assert.Same(input.Slab, output.TailSource);
        for (int i = 0; i < output.Count; i++)
        {
            int segmentPayload = i < 3 ? Mss : 100;
            Assert.Equal(40, output.HeadLength(i));
            Assert.Equal(40 + segmentPayload, output.Length(i));
            Assert.Equal(new PacketTail(40 + i * Mss, segmentPayload), output.Tail(i));
            Assert.True(superpacket.AsSpan(40 + i * Mss, segmentPayload).SequenceEqual(output.TailBytes(i)));
        }
    }

    [Fact]
    public void ChangingTheSuperpacketAfterwardsChangesTheSegmentsPayloadSoNothingWasCopied()
    {
        byte[] superpacket = Superpackets.Tcp(0x0AF40102, 0x0AF40203, 2 * Mss, ttl: 64);
        (PacketBatch input, PacketBatch output) = Segment(superpacket, Superpackets.Tso(Mss));
        byte before = Batches.Whole(output, 1)[40];

        input.Slot(0)[40 + Mss] = unchecked((byte)(before + 1));

        Assert.Equal(unchecked((byte)(before + 1)), Batches.Whole(output, 1)[40]);
    }

    [Fact]
    public void UdpSegmentsPointAtTheirPayloadToo()
    {
        const int gsoSize = 1000;
        byte[] payload = Superpackets.Pattern(2 * gsoSize + 1);
        byte[] superpacket = Superpackets.WithPartialChecksum(
            (new Overlay.TestKit.Packets.PacketBuilder { Source = 0x0AF40102, Destination = 0x0AF40203, Ttl = 64 } with { Payload = payload }).Udp());
        (_, PacketBatch output) = Segment(superpacket, Superpackets.Uso(gsoSize));

        Assert.Equal(3, output.Count);
        Assert.Equal([28, 28, 28], Enumerable.Range(0, 3).Select(output.HeadLength));
        Assert.Equal([gsoSize, gsoSize, 1], Enumerable.Range(0, 3).Select(i => output.Tail(i).Length));
    }

    [Fact]
    public void PlainPacketsAreWholeInTheirSlotsEvenInASlotThatHadATail()
    {
        byte[] superpacket = Superpackets.Tcp(0x0AF40102, 0x0AF40203, 2 * Mss, ttl: 64);
        (_, PacketBatch output) = Segment(superpacket, Superpackets.Tso(Mss));
        var plainInput = new PacketBatch(1, OffloadLimits.MaximumPacketLength);
        byte[] plain = Superpackets.Tcp(0x0AF40102, 0x0AF40203, 10, ttl: 64);
        Batches.Append(plainInput, plain, OffloadInfo.None);

        output.Count = 0;
        SuperpacketSegmenter.Segment(plainInput, 0, output, new ForwardingTally());

        Assert.Equal(1, output.Count);
        Assert.Equal(default, output.Tail(0));
        Assert.Equal(plain.Length, output.HeadLength(0));
    }

    [Fact]
    public void CopyPacketGathersTheSlotPartAndTheTailAndStopsWhereTheDestinationEnds()
    {
        byte[] superpacket = Superpackets.Tcp(0x0AF40102, 0x0AF40203, 2 * Mss, ttl: 64);
        (_, PacketBatch output) = Segment(superpacket, Superpackets.Tso(Mss));
        byte[] whole = Batches.Whole(output, 0);

        byte[] shortCopy = new byte[60];
        Assert.Equal(60, output.CopyPacket(0, shortCopy));
        Assert.Equal(whole.AsSpan(0, 60).ToArray(), shortCopy);
        Assert.Equal(superpacket.AsSpan(40, 20).ToArray(), shortCopy.AsSpan(40).ToArray());
    }

    private static (PacketBatch Input, PacketBatch Output) Segment(byte[] superpacket, OffloadInfo offload)
    {
        var input = new PacketBatch(1, OffloadLimits.MaximumPacketLength);
        Batches.Append(input, superpacket, offload);
        var output = new PacketBatch(64, Batches.Mtu);
        SuperpacketSegmenter.Segment(input, 0, output, new ForwardingTally());
        return (input, output);
    }
}
