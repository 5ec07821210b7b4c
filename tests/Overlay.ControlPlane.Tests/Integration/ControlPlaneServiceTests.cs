using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Leases;
using Overlay.ControlPlane.Tests.Support;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Etcd;

namespace Overlay.ControlPlane.Tests.Integration;

public sealed class ControlPlaneServiceTests(EtcdServer server) : IClassFixture<EtcdServer>, IDisposable
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(15);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ovt-cp-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private ControlPlaneService NewService(EtcdScope scope, RouteTableHolder routes, string publicIp = "198.18.0.10") =>
        new(scope.Options, new ControlPlaneOptions(Ipv4.Parse(publicIp), Path.Combine(_dir, "subnet.env"), ControlPlaneOptions.DefaultRenewMargin),
            routes, scope.Logs, TimeProvider.System);

    [Fact]
    public async Task InvalidConfigIsRetriedNamingTheFieldOnceThenAcceptedWhenFixed()
    {
        using var scope = new EtcdScope(server);
        scope.PutConfigText("""{"Network":"10.244.0.0/16","SubnetLen":31}""");
        using ControlPlaneService service = NewService(scope, new RouteTableHolder());

        Task<NetworkConfig> waiting = service.WaitForConfigAsync(CancellationToken.None);
        await Eventually.True(() => scope.Logs.Contains("field SubnetLen"), s_patience, () => scope.Logs.ToString());
        await Task.Delay(2500);
        Assert.False(waiting.IsCompleted);
        scope.PutConfig("""{"Network":"10.244.0.0/16","SubnetLen":26}""");
        NetworkConfig config = await waiting.WaitAsync(s_patience);

        Assert.Equal(26, config.SubnetLen);
        Assert.Equal(1, scope.Logs.Count("SubnetLen 31: must be at most 30; use 24 for a /16 Network"));
    }

    [Fact]
    public async Task MissingConfigSaysHowToWriteItWithTheV3Api()
    {
        using var scope = new EtcdScope(server);
        using ControlPlaneService service = NewService(scope, new RouteTableHolder());
        using var stop = new CancellationTokenSource();

        Task<NetworkConfig> waiting = service.WaitForConfigAsync(stop.Token);
        await Eventually.True(() => scope.Logs.Contains("etcd v3 API"), s_patience, () => scope.Logs.ToString());
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(1, scope.Logs.Count("etcd v3 API"));
    }

    [Fact]
    public async Task ConfigLeaseAndPeersEndToEnd()
    {
        using var scope = new EtcdScope(server);
        scope.PutConfig("""{"Network":"10.244.0.0/16","Backend":{"Type":"udp","Port":7000}}""");
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        var routes = new RouteTableHolder();
        using ControlPlaneService service = NewService(scope, routes);

        NetworkConfig config = await service.WaitForConfigAsync(CancellationToken.None);
        Lease lease = await service.AcquireLeaseAsync(config, CancellationToken.None);
        await using var running = new Background(ct => service.RunAsync(config, lease, ct));
        await Eventually.True(() => service.EtcdConnected && service.RouteCount == 1, s_patience, () => scope.Logs.ToString());

        Assert.True(routes.Current.TryLookup(Ipv4.Parse("10.244.7.1"), out PeerEndpoint hop));
        Assert.Equal(new PeerEndpoint(Ipv4.Parse("198.18.0.7"), 7000), hop);
        Assert.False(routes.Current.TryLookup(lease.Subnet.FirstHost, out _));
        Assert.True(service.WatchRevision > 0);
        Assert.Equal(lease.Subnet, service.CurrentLease!.Subnet);

        scope.PutFlannelLease("10.244.8.0-24", "198.18.0.8");
        await Eventually.True(() => service.RouteCount == 2, TimeSpan.FromSeconds(1), () => scope.Logs.ToString());
    }

    [Fact]
    public async Task LosingTheSubnetRaisesLeaseChangedAndRoutesToTheNewHolder()
    {
        using var scope = new EtcdScope(server);
        scope.PutConfig();
        var routes = new RouteTableHolder();
        using ControlPlaneService service = NewService(scope, routes);
        NetworkConfig config = await service.WaitForConfigAsync(CancellationToken.None);
        Lease lease = await service.AcquireLeaseAsync(config, CancellationToken.None);
        var changed = new TaskCompletionSource<Lease>(TaskCreationOptions.RunContinuationsAsynchronously);
        service.LeaseChanged += l => changed.TrySetResult(l);
        await using var running = new Background(ct => service.RunAsync(config, lease, ct));
        await Eventually.True(() => service.EtcdConnected, s_patience, () => scope.Logs.ToString());

        server.Etcdctl("put", lease.Key, """{"PublicIP":"198.18.0.66","PublicIPv6":null}""");
        Lease moved = await changed.Task.WaitAsync(s_patience);

        Assert.NotEqual(lease.Subnet, moved.Subnet);
        await Eventually.True(
            () => routes.Current.TryLookup(lease.Subnet.FirstHost, out PeerEndpoint hop) && hop.Address == Ipv4.Parse("198.18.0.66"),
            s_patience, () => scope.Logs.ToString());
        Assert.False(routes.Current.TryLookup(moved.Subnet.FirstHost, out _));
    }

    [Fact]
    public void RenewMarginOutsideFlannelsRangeIsRefused()
    {
        using var scope = new EtcdScope(server);
        var options = new ControlPlaneOptions(1, "x", TimeSpan.FromMinutes(1440));

        Assert.Throws<ArgumentOutOfRangeException>(() => new ControlPlaneService(scope.Options, options, new RouteTableHolder(), scope.Logs, TimeProvider.System));
    }
}
