using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Leases;
using Overlay.ControlPlane.Tests.Support;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Etcd;

namespace Overlay.ControlPlane.Tests.Integration;

public sealed class PeerWatcherTests(EtcdServer server) : IClassFixture<EtcdServer>
{
    private static readonly Ipv4Subnet s_own = Ipv4Subnet.Parse("10.244.1.0/24");
    private static readonly TimeSpan s_second = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(20);

    private static PeerWatcher NewWatcher(EtcdScope scope, Overlay.ControlPlane.Etcd.ISubnetRegistry registry, RouteTableHolder routes, int port = 8285) =>
        new(registry, s_own, port, routes, scope.Logs.CreateLogger<PeerWatcher>(), TimeProvider.System);

    private static PeerEndpoint? NextHop(RouteTableHolder routes, string address) =>
        routes.Current.TryLookup(Ipv4.Parse(address), out PeerEndpoint hop) ? hop : null;

    private static PeerEndpoint Hop(string address, ushort port = 8285) => new(Ipv4.Parse(address), port);

    [Fact]
    public async Task FlannelWrittenLeaseAppearsWithinASecondAndGoesWhenDeleted()
    {
        using var scope = new EtcdScope(server);
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes, port: 7890);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => watcher.IsConnected, s_patience, "watcher connected");

        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");

        await Eventually.True(() => NextHop(routes, "10.244.7.33") == Hop("198.18.0.7", 7890), s_second, () => scope.Logs.ToString());
        Assert.Equal(1, watcher.RouteCount);

        server.Etcdctl("del", scope.Key("10.244.7.0-24"));

        await Eventually.True(() => NextHop(routes, "10.244.7.33") is null, s_second, () => scope.Logs.ToString());
        Assert.Equal(0, watcher.RouteCount);
        Assert.True(scope.Logs.Contains("peer added: 10.244.7.0/24 via 198.18.0.7:7890"));
        Assert.True(scope.Logs.Contains("peer removed: 10.244.7.0/24"));
    }

    [Fact]
    public async Task StartsFromTheListingAndSkipsItsOwnSubnet()
    {
        using var scope = new EtcdScope(server);
        scope.PutFlannelLease("10.244.1.0-24", "198.18.0.1");
        scope.PutFlannelLease("10.244.2.0-24", "198.18.0.2");
        scope.PutFlannelLease("10.244.3.0-24", "198.18.0.3");
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes);
        await using var running = new Background(watcher.RunAsync);

        await Eventually.True(() => routes.Current.Count == 2, s_patience, () => scope.Logs.ToString());

        Assert.Equal([Ipv4Subnet.Parse("10.244.2.0/24"), Ipv4Subnet.Parse("10.244.3.0/24")], routes.Current.Routes.Select(r => r.Subnet));
        Assert.Null(NextHop(routes, "10.244.1.5"));
        Assert.True(watcher.Revision >= server.Revision() - 1);
        server.Etcdctl("put", scope.Key("10.244.1.0-24"), """{"PublicIP":"198.18.0.99","PublicIPv6":null}""");
        scope.PutFlannelLease("10.244.4.0-24", "198.18.0.4");
        await Eventually.True(() => routes.Current.Count == 3, s_second, () => scope.Logs.ToString());
        Assert.Null(NextHop(routes, "10.244.1.5"));
    }

    [Fact]
    public async Task MalformedKeysAndValuesNeverRemoveOtherRoutes()
    {
        using var scope = new EtcdScope(server);
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => watcher.IsConnected, s_patience, "watcher connected");
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        scope.PutFlannelLease("10.244.8.0-24", "198.18.0.8");
        await Eventually.True(() => routes.Current.Count == 2, s_second, () => scope.Logs.ToString());

        server.Etcdctl("put", scope.Key("10.244.9.0-24"), """{"PublicIP":""}""");
        server.Etcdctl("put", scope.Key("10.244.10.0-24"), "garbage");
        server.Etcdctl("put", scope.Key("10.244.11.0-24"), """{"PublicIP":"198.18.0.11","PublicIPv6":""}""");
        server.Etcdctl("put", scope.Key("bogus-key"), """{"PublicIP":"198.18.0.12","PublicIPv6":null}""");
        server.Etcdctl("del", scope.Key("bogus-key"));
        server.Etcdctl("put", scope.Key("10.244.8.0-24"), "garbage");
        scope.PutFlannelLease("10.244.20.0-24", "198.18.0.20");

        await Eventually.True(() => NextHop(routes, "10.244.20.1") == Hop("198.18.0.20"), s_second, () => scope.Logs.ToString());
        Assert.Equal(Hop("198.18.0.7"), NextHop(routes, "10.244.7.1"));
        Assert.Equal(Hop("198.18.0.8"), NextHop(routes, "10.244.8.1"));
        Assert.Null(NextHop(routes, "10.244.9.1"));
        Assert.Null(NextHop(routes, "10.244.10.1"));
        Assert.Null(NextHop(routes, "10.244.11.1"));
        Assert.Equal(3, routes.Current.Count);
        Assert.Equal(6, scope.Logs.Count("other routes are kept"));
    }

    [Fact]
    public async Task ARenewalIsNotAChangeButANewPublicIpIs()
    {
        using var scope = new EtcdScope(server);
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => watcher.IsConnected, s_patience, "watcher connected");
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        await Eventually.True(() => routes.Current.Count == 1, s_second, () => scope.Logs.ToString());
        RouteTable first = routes.Current;

        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.77");

        await Eventually.True(() => NextHop(routes, "10.244.7.1") == Hop("198.18.0.77"), s_second, () => scope.Logs.ToString());
        Assert.NotSame(first, routes.Current);
        Assert.Equal(1, scope.Logs.Count("peer added"));
        Assert.Equal(1, scope.Logs.Count("peer changed: 10.244.7.0/24 via 198.18.0.77:8285 (was 198.18.0.7:8285)"));
    }

    [Fact]
    public async Task ChurnOfHundredsOfLeasesEndsInOneTableWithEveryRoute()
    {
        using var scope = new EtcdScope(server);
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => watcher.IsConnected && watcher.TablesPublished == 1, s_patience, "watcher connected");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // 400 separate puts, 50 in flight at a time: far more watch responses than 20 a second while they last.
        const int leases = 400;
        for (int first = 0; first < leases; first += 50)
        {
            await Task.WhenAll(Enumerable.Range(first, 50).Select(i => scope.Registry.RenewLeaseAsync(
                scope.Key($"10.{100 + (i / 256)}.{i % 256}.0-24"), new(Ipv4.Parse("198.18.1.1") + (uint)i), CancellationToken.None)));
        }
        await Eventually.True(() => routes.Current.Count == leases, s_patience, () => scope.Logs.ToString());
        TimeSpan elapsed = clock.Elapsed;

        // Each rebuild rests ten times as long as it took, so rebuilding never takes more than its share of the time.
        Assert.InRange(watcher.TablesPublished, 2, 1 + leases);
        Assert.True(watcher.TableBuildTime * 5 < elapsed + TimeSpan.FromSeconds(1), $"{watcher.TableBuildTime} building in {elapsed}");
        Assert.Equal(leases, routes.Current.PeerCount);
        Assert.Equal(leases, scope.Logs.Count("peer added"));
    }

    [Fact]
    public async Task CompactionWhileAwayIsRecoveredByListingAgain()
    {
        using var scope = new EtcdScope(server);
        var registry = new InterruptibleRegistry(scope.Registry);
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        scope.PutFlannelLease("10.244.8.0-24", "198.18.0.8");
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, registry, routes);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => routes.Current.Count == 2 && watcher.IsConnected, s_patience, () => scope.Logs.ToString());
        long before = watcher.Revision;

        registry.BreakWatches();
        server.Etcdctl("del", scope.Key("10.244.7.0-24"));
        scope.PutFlannelLease("10.244.9.0-24", "198.18.0.9");
        scope.PutFlannelLease("10.244.8.0-24", "198.18.0.88");
        long compacted = server.Compact();
        registry.ResumeWatches();

        await Eventually.True(() => routes.Current.Count == 2 && NextHop(routes, "10.244.9.1") is not null, s_patience, () => scope.Logs.ToString());
        Assert.Null(NextHop(routes, "10.244.7.1"));
        Assert.Equal(Hop("198.18.0.88"), NextHop(routes, "10.244.8.1"));
        Assert.True(scope.Logs.Contains("compacted"), scope.Logs.ToString());
        Assert.True(watcher.Revision >= compacted);
        Assert.Contains(before + 1, registry.WatchStarts);
        await Eventually.True(() => registry.WatchStarts.Last() > compacted, s_patience, "watch resumed after the new listing");
    }

    [Fact]
    public async Task EtcdOutageKeepsTheTableAndTheWatchCatchesUpAfterwards()
    {
        using var scope = new EtcdScope(server);
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => routes.Current.Count == 1 && watcher.IsConnected, s_patience, () => scope.Logs.ToString());
        RouteTable beforeOutage = routes.Current;

        server.Stop();
        try
        {
            await Eventually.True(() => !watcher.IsConnected, s_patience, "watcher noticed the outage");
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Same(beforeOutage, routes.Current);
        }
        finally
        {
            server.Start();
        }
        scope.PutFlannelLease("10.244.8.0-24", "198.18.0.8");

        await Eventually.True(() => NextHop(routes, "10.244.8.1") == Hop("198.18.0.8"), s_patience, () => scope.Logs.ToString());
        Assert.True(watcher.IsConnected);
        Assert.Equal(Hop("198.18.0.7"), NextHop(routes, "10.244.7.1"));
        Assert.Equal(1, scope.Logs.Count("etcd lost"));
        Assert.Equal(1, scope.Logs.Count("etcd regained"));
    }

    [Fact]
    public async Task MovingTheOwnSubnetSwapsWhichLeaseIsSkipped()
    {
        using var scope = new EtcdScope(server);
        scope.PutFlannelLease("10.244.1.0-24", "198.18.0.1");
        scope.PutFlannelLease("10.244.2.0-24", "198.18.0.2");
        var routes = new RouteTableHolder();
        PeerWatcher watcher = NewWatcher(scope, scope.Registry, routes);
        await using var running = new Background(watcher.RunAsync);
        await Eventually.True(() => routes.Current.Count == 1 && NextHop(routes, "10.244.2.1") is not null, s_patience, () => scope.Logs.ToString());

        watcher.SetOwnSubnet(Ipv4Subnet.Parse("10.244.2.0/24"));

        await Eventually.True(() => NextHop(routes, "10.244.1.1") == Hop("198.18.0.1") && NextHop(routes, "10.244.2.1") is null, s_patience, () => scope.Logs.ToString());
    }
}
