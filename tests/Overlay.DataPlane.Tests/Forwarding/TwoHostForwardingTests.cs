using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class TwoHostForwardingTests : IDisposable
{
    private readonly InMemoryUdpFabric _fabric = new();
    private readonly InMemoryHost _a;
    private readonly InMemoryHost _b;

    public TwoHostForwardingTests()
    {
        _a = new InMemoryHost(_fabric, "198.18.0.1", "10.244.1.0/24");
        _b = new InMemoryHost(_fabric, "198.18.0.2", "10.244.2.0/24");
        _a.RouteTo(_b);
        _b.RouteTo(_a);
    }

    [Fact]
    public void PacketCrossesBothHostsLosingTwoHopsWithAValidChecksum()
    {
        byte[] sent = (new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Ttl = 64, Identification = 7 } with
        {
            Payload = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)],
        }).Udp();
        Assert.True(_a.Tun.Inject(sent));

        Assert.True(_a.Outbound.PumpOnce());
        Assert.True(_b.Inbound.PumpOnce());

        byte[]? delivered = _b.Tun.TryTakeWritten();
        Assert.NotNull(delivered);
        Assert.Equal(sent.Length, delivered.Length);
        Assert.Equal(62, Ipv4Header.Ttl(delivered));
        Assert.True(ReferenceChecksum.HeaderIsValid(delivered));
        Assert.Equal(sent.AsSpan(0, 8).ToArray(), delivered.AsSpan(0, 8).ToArray());
        Assert.Equal(sent[9], delivered[9]);
        Assert.Equal(sent.AsSpan(12).ToArray(), delivered.AsSpan(12).ToArray());
        Assert.Null(_b.Tun.TryTakeWritten());
    }

    [Fact]
    public void OnTheWireTheDatagramIsTheBareIpv4PacketAfterOneHop()
    {
        byte[] sent = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(200), Ttl = 10 }.Tcp();
        byte[] expected = (byte[])sent.Clone();
        expected[8] = 9;
        Ipv4Header.UpdateChecksum(expected);
        _a.Tun.Inject(sent);

        _a.Outbound.PumpOnce();

        byte[]? datagram = _b.Socket.TryTake(out PeerEndpoint from);
        Assert.Equal(expected, datagram);
        Assert.Equal(_a.Underlay, from);
    }

    [Fact]
    public void BothDirectionsAreCounted()
    {
        byte[] sent = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Payload = new byte[100] }.Udp();
        for (int i = 0; i < 5; i++)
        {
            _a.Tun.Inject(sent);
        }

        _a.Outbound.PumpOnce();
        _b.Inbound.PumpOnce();

        ForwardingSnapshot a = _a.Counters.Snapshot();
        ForwardingSnapshot b = _b.Counters.Snapshot();
        Assert.Equal((5, 5L * sent.Length, 5, 5L * sent.Length), (a.TunPacketsRead, a.TunBytesRead, a.UdpPacketsSent, a.UdpBytesSent));
        Assert.Equal((5, 5L * sent.Length, 5, 5L * sent.Length), (b.UdpPacketsReceived, b.UdpBytesReceived, b.TunPacketsWritten, b.TunBytesWritten));
        Assert.Equal(0, a.TotalDropped + b.TotalDropped);
    }

    [Fact]
    public void NoRouteSendsFlannelsNetUnreachableBackIntoTheTun()
    {
        byte[] sent = new PacketBuilder { Source = _a.Pod(2), Destination = Ipv4.Parse("10.244.99.1"), Payload = [1, 2, 3, 4, 5, 6, 7, 8, 9] }.Udp();
        _a.Tun.Inject(sent);

        _a.Outbound.PumpOnce();

        byte[]? reply = _a.Tun.TryTakeWritten();
        Assert.NotNull(reply);
        Assert.Equal(20 + 8 + 20 + 8, reply.Length);
        Assert.True(ReferenceChecksum.HeaderIsValid(reply));
        Assert.Equal(_a.Lease.Network, Ipv4Header.Source(reply));
        Assert.Equal(_a.Pod(2), Ipv4Header.Destination(reply));
        Assert.Equal(Ipv4Header.ProtocolIcmp, Ipv4Header.Protocol(reply));
        Assert.Equal(IcmpNetUnreachable.ReplyTtl, Ipv4Header.Ttl(reply));
        Assert.Equal((byte)3, reply[20]);
        Assert.Equal((byte)0, reply[21]);
        Assert.Equal(0, ReferenceChecksum.Compute(reply.AsSpan(20)));
        Assert.Equal(sent.AsSpan(0, 28).ToArray(), reply.AsSpan(28).ToArray());
        Assert.Equal(0, _b.Socket.Pending);
        ForwardingSnapshot a = _a.Counters.Snapshot();
        Assert.Equal((1, 1, 1, 0), (a.DroppedNoRoute, a.IcmpRepliesGenerated, a.TunPacketsWritten, a.UdpPacketsSent));
    }

    [Fact]
    public void NoReplyAboutIcmpOrWhileTheTunAddressIsUnknown()
    {
        _a.Tun.Inject(new PacketBuilder { Source = _a.Pod(2), Destination = Ipv4.Parse("10.244.99.1") }.IcmpEcho());
        _a.Outbound.PumpOnce();
        _a.Processor.LocalAddress = 0;
        _a.Tun.Inject(new PacketBuilder { Source = _a.Pod(2), Destination = Ipv4.Parse("10.244.99.1") }.Udp());
        _a.Outbound.PumpOnce();

        Assert.Equal(0, _a.Tun.WrittenCount);
        ForwardingSnapshot a = _a.Counters.Snapshot();
        Assert.Equal((2, 0), (a.DroppedNoRoute, a.IcmpRepliesGenerated));
    }

    [Fact]
    public void ReplySourceFollowsALeaseChange()
    {
        uint newAddress = Ipv4.Parse("10.244.77.0");
        _a.Processor.LocalAddress = newAddress;
        _a.Tun.Inject(new PacketBuilder { Source = _a.Pod(2), Destination = Ipv4.Parse("10.244.99.1") }.Udp());

        _a.Outbound.PumpOnce();

        byte[]? reply = _a.Tun.TryTakeWritten();
        Assert.NotNull(reply);
        Assert.Equal(newAddress, Ipv4Header.Source(reply));
    }

    [Fact]
    public void TrailingBytesPastTheTotalLengthAreNotForwarded()
    {
        byte[] sent = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Payload = [5, 5, 5] }.Udp();
        _a.Tun.Inject([.. sent, 0xDE, 0xAD, 0xBE, 0xEF]);

        _a.Outbound.PumpOnce();
        _b.Inbound.PumpOnce();

        byte[]? delivered = _b.Tun.TryTakeWritten();
        Assert.NotNull(delivered);
        Assert.Equal(sent.Length, delivered.Length);
    }

    [Fact]
    public void LoopsReportShutdownOnceTheirSourcesClose()
    {
        _a.Tun.Inject(new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3) }.Udp());
        _a.Tun.Dispose();
        _b.Socket.Dispose();

        Assert.True(_a.Outbound.PumpOnce());
        Assert.False(_a.Outbound.PumpOnce());
        Assert.False(_b.Inbound.PumpOnce());
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
