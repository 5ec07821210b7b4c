using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Overlay.ControlPlane.Leases;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.Leases;

public sealed class RouteTablePublisherTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task RequestsDuringTheRestAreCoalescedIntoOneRebuild()
    {
        // A clock that never moves by itself: the rest after a rebuild lasts until the test advances it.
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var routes = new RouteTableHolder();
        int next = 0;
        int snapshots = 0;
        Route[] Snapshot()
        {
            Interlocked.Increment(ref snapshots);
            return [new Route(Ipv4Subnet.Parse($"10.244.{Volatile.Read(ref next)}.0/24"), new PeerEndpoint(Ipv4.Parse("198.18.0.2"), 8285))];
        }
        var publisher = new RouteTablePublisher(Snapshot, routes, time, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        Task running = publisher.RunAsync(stop.Token);

        publisher.Request();
        await WaitFor(() => publisher.Published == 1);
        for (int i = 1; i <= 100; i++)
        {
            Volatile.Write(ref next, i);
            publisher.Request();
        }
        await Task.Delay(200);
        Assert.Equal(1, publisher.Published);

        time.Advance(RouteTablePublisher.MaximumPause);
        await WaitFor(() => publisher.Published == 2);
        Assert.Equal(2, Volatile.Read(ref snapshots));
        Assert.True(routes.Current.TryLookup(Ipv4.Parse("10.244.100.1"), out _), "the coalesced table has the last change");

        time.Advance(RouteTablePublisher.MaximumPause);
        await Task.Delay(200);
        Assert.Equal(2, publisher.Published);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public async Task ATableAfterABigListingIsFollowedByAFullCollection()
    {
        var routes = new RouteTableHolder();
        var publisher = new RouteTablePublisher(() => [], routes, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        Task running = publisher.RunAsync(stop.Token);
        int fullCollections = GC.CollectionCount(GC.MaxGeneration);

        publisher.RequestAndCompact();
        await WaitFor(() => publisher.Published == 1 && GC.CollectionCount(GC.MaxGeneration) > fullCollections);

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.01, 1)]
    [InlineData(0.3, 3)]
    [InlineData(2, 20)]
    [InlineData(5, 50)]
    [InlineData(40, 50)]
    public void TheRestIsTenRebuildsLongBetweenOneAnd50Milliseconds(double builtMs, double pauseMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(pauseMs), RouteTablePublisher.Pause(TimeSpan.FromMilliseconds(builtMs)));

    private static async Task WaitFor(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < s_patience, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
