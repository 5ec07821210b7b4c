using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>Superpackets whose metadata lies about the packet are dropped and counted, and the next slot still goes through.</summary>
public sealed class MalformedSuperpacketTests
{
    private const int Mss = Batches.Mtu - 40;

    [Theory]
    [InlineData("gso size 0", DropReason.BadOffload)]
    [InlineData("tcp v6", DropReason.NotIpv4)]
    [InlineData("tcp v4 on an ipv6 packet", DropReason.NotIpv4)]
    [InlineData("udp with ecn", DropReason.BadOffload)]
    [InlineData("unknown gso type", DropReason.BadOffload)]
    [InlineData("total length beyond the bytes read", DropReason.Truncated)]
    [InlineData("total length inside the ip header", DropReason.BadHeaderLength)]
    [InlineData("ihl below 5", DropReason.BadHeaderLength)]
    [InlineData("too short for an ip header", DropReason.TooShort)]
    [InlineData("tcp gso on a udp packet", DropReason.BadOffload)]
    [InlineData("udp gso on a tcp packet", DropReason.BadOffload)]
    [InlineData("tcp header cut short", DropReason.BadOffload)]
    [InlineData("tcp data offset below 5", DropReason.BadOffload)]
    [InlineData("tcp data offset past the end", DropReason.BadOffload)]
    [InlineData("no payload", DropReason.BadOffload)]
    [InlineData("fragment", DropReason.BadOffload)]
    [InlineData("segment larger than the mtu", DropReason.BadOffload)]
    [InlineData("more segments than the output holds", DropReason.BadOffload)]
    [InlineData("length beyond the slot", DropReason.Truncated)]
    [InlineData("plain packet larger than the mtu", DropReason.BadOffload)]
    [InlineData("checksum start inside the ip header", DropReason.BadOffload)]
    [InlineData("checksum field past the end", DropReason.BadOffload)]
    [InlineData("needs checksum on a truncated packet", DropReason.Truncated)]
    public void IsDroppedAndCountedWithoutThrowing(string name, DropReason reason)
    {
        (byte[] packet, OffloadInfo offload, int reportedLength) = Build(name);
        byte[] good = (new PacketBuilder { Payload = [1, 2, 3] }).Udp();
        var input = new PacketBatch(2, OffloadLimits.MaximumPacketLength);
        Batches.Append(input, packet, offload);
        input.Length(0) = reportedLength;
        Batches.Append(input, good, OffloadInfo.None);
        var output = new PacketBatch(64, Batches.Mtu);
        var tally = new ForwardingTally();

        SegmentationProgress progress = SuperpacketSegmenter.Segment(input, 0, output, tally);

        Assert.Equal(new SegmentationProgress(2, 1, 0, 0, 1, reportedLength), progress);
        Assert.Equal([good], Batches.Packets(output));
        Assert.Equal(1, tally.DropsFor(reason));
        Assert.Equal(1, tally.Drops.ToArray().Sum());
    }

    private static (byte[] Packet, OffloadInfo Offload, int ReportedLength) Build(string name)
    {
        var ip = new PacketBuilder { Payload = Superpackets.Pattern(3000) };
        byte[] tcp = Superpackets.WithPartialChecksum(ip.Tcp());
        byte[] udp = Superpackets.WithPartialChecksum(ip.Udp());
        OffloadInfo tso = Superpackets.Tso(Mss);
        OffloadInfo uso = Superpackets.Uso(Mss);
        return name switch
        {
            "gso size 0" => (tcp, tso with { GsoSize = 0 }, tcp.Length),
            "tcp v6" => (tcp, tso with { GsoType = GsoType.TcpV6 }, tcp.Length),
            "tcp v4 on an ipv6 packet" => (Patched(tcp, 0, 0x60), tso, tcp.Length),
            "udp with ecn" => (udp, uso with { GsoType = GsoType.UdpL4 | GsoType.Ecn }, udp.Length),
            "unknown gso type" => (tcp, tso with { GsoType = (GsoType)3 }, tcp.Length),
            "total length beyond the bytes read" => (tcp[..2000], tso, 2000),
            "total length inside the ip header" => (Patched(Patched(tcp, 2, 0), 3, 19), tso, tcp.Length),
            "ihl below 5" => (Patched(tcp, 0, 0x44), tso, tcp.Length),
            "too short for an ip header" => (tcp[..19], tso, 19),
            "tcp gso on a udp packet" => (udp, tso, udp.Length),
            "udp gso on a tcp packet" => (tcp, uso, tcp.Length),
            "tcp header cut short" => (Truncated(tcp, 30), tso, 30),
            "tcp data offset below 5" => (Patched(tcp, 32, 0x40), tso, tcp.Length),
            "tcp data offset past the end" => (Patched(Truncated(tcp, 60), 32, 0xF0), tso, 60),
            "no payload" => (Truncated(tcp, 40), tso, 40),
            "fragment" => (Patched(tcp, 6, 0x20), tso, tcp.Length),
            "segment larger than the mtu" => (tcp, tso with { GsoSize = Mss + 1 }, tcp.Length),
            "more segments than the output holds" => (tcp, tso with { GsoSize = 40 }, tcp.Length),
            "length beyond the slot" => (tcp, tso, OffloadLimits.MaximumPacketLength + 1),
            "plain packet larger than the mtu" => (tcp, OffloadInfo.None, tcp.Length),
            "checksum start inside the ip header" => (tcp, new OffloadInfo { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 10, ChecksumOffset = 16 }, tcp.Length),
            "checksum field past the end" => (tcp, new OffloadInfo { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 20, ChecksumOffset = 2979 }, tcp.Length),
            "needs checksum on a truncated packet" => (tcp[..100], new OffloadInfo { Flags = OffloadFlags.NeedsChecksum, ChecksumStart = 20, ChecksumOffset = 16 }, 100),
            _ => throw new ArgumentException(name),
        };
    }

    private static byte[] Patched(byte[] packet, int offset, byte value)
    {
        byte[] copy = (byte[])packet.Clone();
        copy[offset] = value;
        return copy;
    }

    /// <summary>The first <paramref name="length"/> bytes, with the total length saying so.</summary>
    private static byte[] Truncated(byte[] packet, int length)
    {
        byte[] copy = packet[..length];
        copy[2] = (byte)(length >> 8);
        copy[3] = (byte)length;
        return copy;
    }
}
