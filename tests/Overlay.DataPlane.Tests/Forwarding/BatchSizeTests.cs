using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.DataPlane.Tests.Offload;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

/// <summary>How many packets each pump moved, in power-of-two buckets, per direction.</summary>
public sealed class BatchSizeTests : IDisposable
{
    private readonly InMemoryUdpFabric _fabric = new();
    private readonly InMemoryHost _a;
    private readonly InMemoryHost _b;

    public BatchSizeTests()
    {
        _a = new InMemoryHost(_fabric, "198.18.0.1", "10.244.1.0/24");
        _b = new InMemoryHost(_fabric, "198.18.0.2", "10.244.2.0/24");
        _a.RouteTo(_b);
        _b.RouteTo(_a);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 1)]
    [InlineData(4, 2)]
    [InlineData(7, 2)]
    [InlineData(8, 3)]
    [InlineData(31, 4)]
    [InlineData(32, 5)]
    [InlineData(63, 5)]
    [InlineData(64, 6)]
    [InlineData(1024, 6)]
    public void BucketsArePowersOfTwo(int packets, int bucket)
    {
        Assert.Equal(bucket, BatchSizes.BucketOf(packets));
        Assert.Equal(["1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"], Enumerable.Range(0, BatchSizes.BucketCount).Select(BatchSizes.Label));
    }

    [Fact]
    public void EachPumpCountsOneBatchOnItsSide()
    {
        byte[] packet = new PacketBuilder { Source = _a.Pod(2), Destination = _b.Pod(3), Payload = [1] }.Udp();
        for (int i = 0; i < 5; i++)
        {
            Assert.True(_a.Tun.Inject(packet));
        }
        Assert.True(_a.Outbound.PumpOnce());
        Assert.True(_a.Tun.Inject(packet));
        Assert.True(_a.Outbound.PumpOnce());
        Assert.True(_b.Inbound.PumpOnce());

        Assert.Equal([1L, 0, 1, 0, 0, 0, 0], Row(_a.Counters, BatchSide.Outbound));
        Assert.Equal([0L, 0, 0, 0, 0, 0, 0], Row(_a.Counters, BatchSide.Inbound));
        // The six datagrams waited at B's socket together and came in one receive.
        Assert.Equal([0L, 0, 1, 0, 0, 0, 0], Row(_b.Counters, BatchSide.Inbound));
        // Wake-ups that did work, both sides together: what light-load pinning divides the packets by.
        Assert.Equal(2, _a.Counters.TotalBatches());
        Assert.Equal(1, _b.Counters.TotalBatches());
    }

    [Fact]
    public void AnOffloadReadCountsThePlainPacketsItsSuperpacketCarried()
    {
        var fabric = new InMemoryUdpFabric();
        using var a = new OffloadHost(fabric, "198.18.0.1", "10.244.1.0/24", superpacketCapacity: 8, segmentCapacity: 64);
        using var b = new OffloadHost(fabric, "198.18.0.2", "10.244.2.0/24");
        a.RouteTo(b);
        const int Mss = 1400; // 40 segments of it fit one read of a 64 KiB superpacket
        a.Tun.Inject(Superpackets.Tcp(a.Pod(2), b.Pod(3), 40 * Mss, ttl: 64), Superpackets.Tso(Mss));

        Assert.True(a.Outbound.PumpOnce());

        Assert.Equal([0L, 0, 0, 0, 0, 1, 0], Row(a.Counters, BatchSide.Outbound));
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
    }

    private static long[] Row(ForwardingCounters counters, BatchSide side) =>
        [.. Enumerable.Range(0, BatchSizes.BucketCount).Select(bucket => counters.Batches(side, bucket))];
}
