using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

/// <summary>By default only the hosts in the route table may put packets into the TUN device.</summary>
public sealed class UnknownSourceTests : IDisposable
{
    private static readonly PeerEndpoint s_stranger = new(Ipv4.Parse("198.18.0.66"), InMemoryHost.Port);

    private readonly InMemoryUdpFabric _fabric = new();
    private readonly InMemoryHost _a;
    private readonly InMemoryHost _b;
    private readonly byte[] _toB;

    public UnknownSourceTests()
    {
        _a = new InMemoryHost(_fabric, "198.18.0.1", "10.244.1.0/24");
        _b = new InMemoryHost(_fabric, "198.18.0.2", "10.244.2.0/24");
        _a.RouteTo(_b);
        _b.RouteTo(_a);
        _toB = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Payload = [1, 2, 3] }.Udp();
    }

    [Fact]
    public void TheCheckIsOnByDefault()
    {
        Assert.True(new InboundProcessor(new RouteTableHolder()).DropUnknownSources);
        Assert.False(new InboundProcessor(new RouteTableHolder(), dropUnknownSources: false).DropUnknownSources);
    }

    [Fact]
    public void ADatagramFromAStrangerIsDroppedAndCountedWhileThePeersGoesThrough()
    {
        Assert.True(_b.Socket.Inject(_toB, s_stranger));
        Assert.True(_b.Socket.Inject(_toB, _a.Underlay));

        Assert.True(_b.Inbound.PumpOnce());

        Assert.Equal(1, _b.Tun.WrittenCount);
        ForwardingSnapshot b = _b.Counters.Snapshot();
        Assert.Equal((2L, 1L, 1L, 1L), (b.UdpPacketsReceived, b.TunPacketsWritten, b.DroppedUnknownSource, b.TotalDropped));
    }

    [Fact]
    public void APeerIsRecognisedByItsAddressFromAnyPort()
    {
        Assert.True(_b.Socket.Inject(_toB, _a.Underlay with { Port = 40123 }));

        Assert.True(_b.Inbound.PumpOnce());

        Assert.Equal(1, _b.Tun.WrittenCount);
        Assert.Equal(0, _b.Counters.Snapshot().TotalDropped);
    }

    [Fact]
    public void MalformedDatagramsFromStrangersKeepTheirOwnReasons()
    {
        byte[] ipv6 = new byte[48];
        ipv6[0] = 0x60;
        byte[] ihlFour = (byte[])_toB.Clone();
        ihlFour[0] = 0x44;
        byte[][] datagrams = [_toB[..12], ipv6, ihlFour, _toB[..^1], _toB];
        foreach (byte[] datagram in datagrams)
        {
            Assert.True(_b.Socket.Inject(datagram, s_stranger));
        }

        Assert.True(_b.Inbound.PumpOnce());

        ForwardingSnapshot b = _b.Counters.Snapshot();
        Assert.Equal(
            (1L, 1L, 1L, 1L, 1L),
            (b.DroppedTooShort, b.DroppedNotIpv4, b.DroppedBadHeaderLength, b.DroppedTruncated, b.DroppedUnknownSource));
        Assert.Equal((5L, 0L), (b.TotalDropped, b.TunPacketsWritten));
    }

    [Fact]
    public void AStrangersPacketIsDroppedBeforeItsTtlIsTouched()
    {
        var processor = new InboundProcessor(_b.Routes);
        var batch = new PacketBatch(2, 256);
        byte[] expiring = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Ttl = 1 }.Udp();
        Load(batch, 0, expiring, s_stranger);
        Load(batch, 1, _toB, s_stranger);
        var tally = new ForwardingTally();

        processor.Process(batch, tally);

        Assert.Equal((0, 0), (batch.Length(0), batch.Length(1)));
        Assert.Equal((2L, 0L), (tally.DropsFor(DropReason.UnknownSource), tally.DropsFor(DropReason.TtlExpired)));
        Assert.Equal(expiring, batch.Slot(0)[..expiring.Length].ToArray());
        Assert.Equal(_toB, batch.Slot(1)[.._toB.Length].ToArray());
    }

    [Fact]
    public void WithTheCheckOffStrangersAreForwardedAsFlannelDoes()
    {
        // Peers behind NAT arrive from addresses other than the ones they announce.
        var processor = new InboundProcessor(_b.Routes, dropUnknownSources: false);
        var counters = new ForwardingCounters();
        var loop = new InboundLoop(_b.Socket, _b.Tun, processor, counters, batchCapacity: 8, slotSize: 1500);
        Assert.True(_b.Socket.Inject(_toB, s_stranger));

        Assert.True(loop.PumpOnce());

        byte[]? written = _b.Tun.TryTakeWritten();
        Assert.NotNull(written);
        Assert.Equal(_toB[8] - 1, written[8]);
        Assert.Equal((1L, 0L), (counters.Snapshot().TunPacketsWritten, counters.Snapshot().TotalDropped));
    }

    [Fact]
    public void TurningTheCheckOffOrOnTakesEffectAtTheNextBatch()
    {
        _b.Socket.Inject(_toB, s_stranger);
        _b.Inbound.PumpOnce();
        _b.InboundProcessor.DropUnknownSources = false;
        _b.Socket.Inject(_toB, s_stranger);
        _b.Inbound.PumpOnce();
        _b.InboundProcessor.DropUnknownSources = true;
        _b.Socket.Inject(_toB, s_stranger);
        _b.Inbound.PumpOnce();

        ForwardingSnapshot b = _b.Counters.Snapshot();
        Assert.Equal((3L, 1L, 2L), (b.UdpPacketsReceived, b.TunPacketsWritten, b.DroppedUnknownSource));
    }

    [Fact]
    public void EachBatchIsCheckedAgainstTheTableCurrentForIt()
    {
        // Before the first table arrives nobody is known; a peer that leaves the table is a stranger again.
        _b.Routes.Publish(RouteTable.Empty);
        _b.Socket.Inject(_toB, _a.Underlay);
        _b.Inbound.PumpOnce();
        _b.RouteTo(_a);
        _b.Socket.Inject(_toB, _a.Underlay);
        _b.Inbound.PumpOnce();
        _b.Routes.Publish(RouteTable.Create([new Route(Ipv4Subnet.Parse("10.244.3.0/24"), s_stranger)]));
        _b.Socket.Inject(_toB, _a.Underlay);
        _b.Socket.Inject(_toB, s_stranger);
        _b.Inbound.PumpOnce();

        ForwardingSnapshot b = _b.Counters.Snapshot();
        Assert.Equal((4L, 2L, 2L), (b.UdpPacketsReceived, b.TunPacketsWritten, b.DroppedUnknownSource));
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static void Load(PacketBatch batch, int slot, byte[] packet, PeerEndpoint from)
    {
        packet.CopyTo(batch.Slot(slot));
        batch.Length(slot) = packet.Length;
        batch.Endpoint(slot) = from;
        batch.Count = Math.Max(batch.Count, slot + 1);
    }
}
