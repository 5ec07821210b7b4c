using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class RouteSwapTests
{
    [Fact]
    public void NewTableTakesEffectAtTheNextBatch()
    {
        var fabric = new InMemoryUdpFabric();
        using var a = new InMemoryHost(fabric, "198.18.0.1", "10.244.1.0/24");
        using var b = new InMemoryHost(fabric, "198.18.0.2", "10.244.2.0/24");
        using var c = new InMemoryHost(fabric, "198.18.0.3", "10.244.3.0/24");
        byte[] packet = new PacketBuilder { Source = a.Pod(2), Destination = Ipv4.Parse("10.244.2.9") }.Udp();

        a.Routes.Publish(RouteTable.Create([new Route(b.Lease, b.Underlay)]));
        a.Tun.Inject(packet);
        a.Outbound.PumpOnce();
        // The lease moved: the same subnet is now reached through another host.
        a.Routes.Publish(RouteTable.Create([new Route(b.Lease, c.Underlay)]));
        a.Tun.Inject(packet);
        a.Outbound.PumpOnce();
        a.Routes.Publish(RouteTable.Empty);
        a.Tun.Inject(packet);
        a.Outbound.PumpOnce();

        Assert.Equal(1, b.Socket.Pending);
        Assert.Equal(1, c.Socket.Pending);
        Assert.Equal(1, a.Tun.WrittenCount);
        ForwardingSnapshot snapshot = a.Counters.Snapshot();
        Assert.Equal((2, 1, 1), (snapshot.UdpPacketsSent, snapshot.DroppedNoRoute, snapshot.IcmpRepliesGenerated));
    }

    [Fact]
    public void EachBatchIsRoutedByOneSnapshotWhileTablesChangeUnderIt()
    {
        var hopB = new PeerEndpoint(Ipv4.Parse("198.18.0.2"), 8285);
        var hopC = new PeerEndpoint(Ipv4.Parse("198.18.0.3"), 8285);
        Ipv4Subnet lease = Ipv4Subnet.Parse("10.244.2.0/24");
        RouteTable viaB = RouteTable.Create([new Route(lease, hopB)]);
        RouteTable viaC = RouteTable.Create([new Route(lease, hopC)]);
        var routes = new RouteTableHolder();
        routes.Publish(viaB);
        var processor = new OutboundProcessor(routes, Ipv4.Parse("10.244.1.0"));
        var batch = new PacketBatch(32, 256);
        var replies = new PacketBatch(32, IcmpNetUnreachable.MaximumLength);
        var tally = new ForwardingTally();
        byte[] packet = new PacketBuilder { Destination = lease.Network + 5, Ttl = 255 }.Udp();
        bool stop = false;
        var publisher = new Thread(() =>
        {
            long deadline = Environment.TickCount64 + 20_000;
            for (int i = 0; !Volatile.Read(ref stop) && Environment.TickCount64 < deadline; i++)
            {
                routes.Publish(i % 2 == 0 ? viaC : viaB);
                Thread.SpinWait(50);
            }
        })
        {
            IsBackground = true,
            Name = "route-publisher",
        };

        int batchesViaB = 0;
        int batchesViaC = 0;
        int mixedBatches = 0;
        publisher.Start();
        try
        {
            long deadline = Environment.TickCount64 + 10_000;
            for (int round = 0; round < 200_000 && Environment.TickCount64 < deadline; round++)
            {
                for (int i = 0; i < batch.Capacity; i++)
                {
                    packet.CopyTo(batch.Slot(i));
                    batch.Length(i) = packet.Length;
                }
                batch.Count = batch.Capacity;
                processor.Process(batch, replies, tally);

                PeerEndpoint first = batch.Endpoint(0);
                for (int i = 1; i < batch.Count; i++)
                {
                    if (batch.Endpoint(i) != first)
                    {
                        mixedBatches++;
                        break;
                    }
                }
                if (first == hopB)
                {
                    batchesViaB++;
                }
                else if (first == hopC)
                {
                    batchesViaC++;
                }
                if (round >= 1000 && batchesViaB > 10 && batchesViaC > 10)
                {
                    break;
                }
            }
        }
        finally
        {
            Volatile.Write(ref stop, true);
            publisher.Join(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(0, mixedBatches);
        Assert.True(batchesViaB > 10 && batchesViaC > 10, $"via B {batchesViaB}, via C {batchesViaC}");
        Assert.Equal(0, tally.DropsFor(DropReason.NoRoute));
    }
}
