using System.Buffers.Binary;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class DropAccountingTests : IDisposable
{
    private readonly InMemoryUdpFabric _fabric = new();
    private readonly InMemoryHost _a;
    private readonly InMemoryHost _b;

    public DropAccountingTests()
    {
        _a = new InMemoryHost(_fabric, "198.18.0.1", "10.244.1.0/24");
        // B's TUN accepts only two packets before the test drains it: the third write is refused.
        _b = new InMemoryHost(_fabric, "198.18.0.2", "10.244.2.0/24", tunWriteCapacity: 2);
        var unbound = new PeerEndpoint(Ipv4.Parse("198.18.0.99"), InMemoryHost.Port);
        _a.Routes.Publish(RouteTable.Create(
        [
            new Route(_b.Lease, _b.Underlay),
            new Route(Ipv4Subnet.Parse("10.244.3.0/24"), unbound),
        ]));
        _b.RouteTo(_a);
    }

    [Fact]
    public void EveryOutboundDropIsCountedUnderItsReason()
    {
        PacketBuilder toB = new() { Source = _a.Pod(2), Destination = _b.Pod(3) };
        byte[] good = toB.Udp();
        byte[] notIpv4 = (byte[])good.Clone();
        notIpv4[0] = 0x60;
        byte[] ihlFour = (byte[])good.Clone();
        ihlFour[0] = 0x44;
        byte[] longerThanReceived = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(longerThanReceived.AsSpan(2), (ushort)(good.Length + 1));

        byte[][] packets =
        [
            good,
            good[..19],
            notIpv4,
            ihlFour,
            longerThanReceived,
            (toB with { Destination = Ipv4.Parse("10.244.50.1") }).Udp(),
            (toB with { Ttl = 1 }).Udp(),
            (toB with { Ttl = 0 }).Udp(),
            (toB with { Destination = Ipv4.Parse("10.244.3.3") }).Udp(),
        ];
        foreach (byte[] packet in packets)
        {
            Assert.True(_a.Tun.Inject(packet));
        }

        Assert.True(_a.Outbound.PumpOnce());

        ForwardingSnapshot a = _a.Counters.Snapshot();
        Assert.Equal(packets.Length, a.TunPacketsRead);
        Assert.Equal(1, a.UdpPacketsSent);
        Assert.Equal(1, a.DroppedTooShort);
        Assert.Equal(1, a.DroppedNotIpv4);
        Assert.Equal(1, a.DroppedBadHeaderLength);
        Assert.Equal(1, a.DroppedTruncated);
        Assert.Equal(1, a.DroppedNoRoute);
        Assert.Equal(2, a.DroppedTtlExpired);
        Assert.Equal(1, a.DroppedSendFailed);
        Assert.Equal(0, a.DroppedTunWriteFailed);
        Assert.Equal(1, a.IcmpRepliesGenerated);
        Assert.Equal(packets.Length, a.UdpPacketsSent + a.TotalDropped);
    }

    [Fact]
    public void Sent_bytes_and_per_peer_counts_come_from_each_slots_outcome_not_from_the_first_n_slots()
    {
        // Refused sends (to an address nobody is bound to) sit between accepted ones, with other sizes: a count of
        // "the first n non-empty slots" would take the refused ones' bytes, and counting before the send would
        // credit their peer.
        PacketBuilder toB = new() { Source = _a.Pod(2), Destination = _b.Pod(3) };
        PacketBuilder toUnbound = toB with { Destination = Ipv4.Parse("10.244.3.3") };
        byte[][] packets =
        [
            (toUnbound with { Payload = new byte[100] }).Udp(), (toB with { Payload = new byte[200] }).Udp(),
            (toUnbound with { Payload = new byte[50] }).Udp(), (toB with { Payload = new byte[300] }).Udp(),
        ];
        foreach (byte[] packet in packets)
        {
            Assert.True(_a.Tun.Inject(packet));
        }

        Assert.True(_a.Outbound.PumpOnce());

        ForwardingSnapshot a = _a.Counters.Snapshot();
        Assert.Equal(2, a.UdpPacketsSent);
        Assert.Equal(packets[1].Length + packets[3].Length, a.UdpBytesSent);
        Assert.Equal(2, a.DroppedSendFailed);
        PeerTraffic[] peers = [.. _a.Counters.Peers.Snapshot(_a.Routes.Current)];
        PeerTraffic b = peers.Single(p => p.Address == _b.Underlay.Address);
        Assert.Equal(2, b.SentPackets);
        Assert.Equal(packets[1].Length + packets[3].Length, b.SentBytes);
        PeerTraffic unbound = peers.Single(p => p.Address == Ipv4.Parse("198.18.0.99"));
        Assert.Equal(0, unbound.SentPackets);
        Assert.Equal(0, unbound.SentBytes);
    }

    [Fact]
    public void EveryInboundDropIsCountedUnderItsReason()
    {
        PacketBuilder toB = new() { Source = _a.Pod(2), Destination = _b.Pod(3) };
        byte[] good = toB.Udp();
        byte[] ipv6 = new byte[48];
        ipv6[0] = 0x60;
        byte[] totalShorterThanHeader = (toB with { Options = [1, 1, 1, 0] }).Udp();
        BinaryPrimitives.WriteUInt16BigEndian(totalShorterThanHeader.AsSpan(2), 20);

        byte[][] datagrams =
        [
            [],
            good[..12],
            ipv6,
            totalShorterThanHeader,
            good[..^1],
            (toB with { Ttl = 1 }).Udp(),
            good,
            good,
            good,
        ];
        foreach (byte[] datagram in datagrams)
        {
            Assert.True(_b.Socket.Inject(datagram, _a.Underlay));
        }

        Assert.True(_b.Inbound.PumpOnce());

        ForwardingSnapshot b = _b.Counters.Snapshot();
        Assert.Equal(datagrams.Length, b.UdpPacketsReceived);
        Assert.Equal(2, b.DroppedTooShort);
        Assert.Equal(1, b.DroppedNotIpv4);
        Assert.Equal(1, b.DroppedBadHeaderLength);
        Assert.Equal(1, b.DroppedTruncated);
        Assert.Equal(1, b.DroppedTtlExpired);
        Assert.Equal(2, b.TunPacketsWritten);
        Assert.Equal(1, b.DroppedTunWriteFailed);
        Assert.Equal(datagrams.Length, b.TunPacketsWritten + b.TotalDropped);
    }

    [Fact]
    public void RefusedIcmpRepliesAreCountedAsTunWriteFailures()
    {
        using var host = new InMemoryHost(_fabric, "198.18.0.3", "10.244.3.0/24", tunWriteCapacity: 1);
        for (int i = 0; i < 3; i++)
        {
            host.Tun.Inject(new PacketBuilder { Source = host.Pod(2), Destination = Ipv4.Parse("10.244.9.9") }.Udp());
        }

        host.Outbound.PumpOnce();

        ForwardingSnapshot snapshot = host.Counters.Snapshot();
        Assert.Equal((3, 3, 1, 2), (snapshot.DroppedNoRoute, snapshot.IcmpRepliesGenerated, snapshot.TunPacketsWritten, snapshot.DroppedTunWriteFailed));
    }

    [Fact]
    public void RepliesOverTheLimitAreSuppressedAndCountedApartFromThoseSent()
    {
        var clock = new ManualClock();
        using var host = new InMemoryHost(_fabric, "198.18.0.5", "10.244.5.0/24", replyLimiter: new IcmpReplyLimiter(1000, 3, clock));
        var toNowhere = new PacketBuilder { Source = host.Pod(2), Destination = Ipv4.Parse("10.244.9.9") };
        // An ICMP packet is never answered (RFC 792), so it takes no token from the bucket.
        host.Tun.Inject(toNowhere.IcmpEcho());
        for (int i = 0; i < 10; i++)
        {
            host.Tun.Inject(toNowhere.Udp());
        }

        host.Outbound.PumpOnce();

        ForwardingSnapshot first = host.Counters.Snapshot();
        Assert.Equal((11L, 3L, 7L, 3L), (first.DroppedNoRoute, first.IcmpRepliesGenerated, first.IcmpRepliesSuppressed, first.TunPacketsWritten));

        clock.Advance(2);
        for (int i = 0; i < 10; i++)
        {
            host.Tun.Inject(toNowhere.Udp());
        }
        host.Outbound.PumpOnce();

        ForwardingSnapshot second = host.Counters.Snapshot();
        Assert.Equal((21L, 5L, 15L, 5L), (second.DroppedNoRoute, second.IcmpRepliesGenerated, second.IcmpRepliesSuppressed, second.TunPacketsWritten));
        Assert.Equal(0, second.UdpPacketsSent);
    }

    [Fact]
    public void OversizeDatagramArrivesEmptyAndIsCountedNotThrown()
    {
        using var smallSlots = new InMemoryHost(_fabric, "198.18.0.4", "10.244.4.0/24", slotSize: 256);
        byte[] big = new PacketBuilder { Source = _a.Pod(2), Destination = smallSlots.Pod(3), Payload = new byte[600] }.Udp();
        Assert.True(smallSlots.Socket.Inject(big, _a.Underlay));

        Assert.True(smallSlots.Inbound.PumpOnce());

        ForwardingSnapshot snapshot = smallSlots.Counters.Snapshot();
        Assert.Equal((1, 1, 0), (snapshot.UdpPacketsReceived, snapshot.DroppedTooShort, snapshot.TunPacketsWritten));
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }
}
