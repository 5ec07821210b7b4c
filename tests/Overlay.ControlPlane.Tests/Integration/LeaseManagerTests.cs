using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Leases;
using Overlay.ControlPlane.SubnetEnv;
using Overlay.ControlPlane.Tests.Support;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Etcd;

namespace Overlay.ControlPlane.Tests.Integration;

public sealed class LeaseManagerTests(EtcdServer server) : IClassFixture<EtcdServer>, IDisposable
{
    private static readonly uint s_publicIp = Ipv4.Parse("198.18.0.10");
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(15);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ovt-lease-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    private string SubnetFile => Path.Combine(_dir, "subnet.env");

    private LeaseManager NewManager(EtcdScope scope, NetworkConfig config, ISubnetRegistry? registry = null, uint? publicIp = null,
        TimeProvider? time = null, int seed = 1) =>
        new(registry ?? scope.Registry, config, publicIp ?? s_publicIp, SubnetFile, TimeSpan.FromMinutes(60),
            scope.Logs.CreateLogger<LeaseManager>(), time ?? TimeProvider.System, new Random(seed));

    private long EtcdLeaseOf(string key)
    {
        using JsonDocument json = JsonDocument.Parse(server.Etcdctl("get", key, "-w", "json"));
        return json.RootElement.GetProperty("kvs")[0].GetProperty("lease").GetInt64();
    }

    [Fact]
    public async Task AcquireCreatesTheExactFlannelKeyAndValueWithA24HourLease()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();

        Lease lease = await NewManager(scope, config).AcquireAsync(CancellationToken.None);

        string key = SubnetKey.Build(scope.Prefix, lease.Subnet);
        Assert.Equal(key, lease.Key);
        Assert.Equal($"{key}\n{{\"PublicIP\":\"198.18.0.10\",\"PublicIPv6\":null}}\n", server.Etcdctl("get", key));
        Assert.True(config.IsCompatible(lease.Subnet));
        Assert.InRange(lease.Subnet.Network, Ipv4.Parse("10.244.1.0"), Ipv4.Parse("10.244.100.0"));
        string ttl = server.Etcdctl("lease", "timetolive", EtcdLeaseOf(key).ToString("x"));
        Assert.Contains("granted with TTL(86400s)", ttl, StringComparison.Ordinal);
        Assert.Equal(s_publicIp, lease.PublicIp);
        Assert.InRange(lease.Expiration - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
    }

    [Fact]
    public async Task RestartWithTheSamePublicIpGetsTheSameSubnetWithAFreshLease()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        scope.PutFlannelLease("10.244.3.0-24", "198.18.0.3");
        Lease first = await NewManager(scope, config, seed: 1).AcquireAsync(CancellationToken.None);
        long firstLease = EtcdLeaseOf(first.Key);

        Lease second = await NewManager(scope, config, seed: 2).AcquireAsync(CancellationToken.None);

        Assert.Equal(first.Subnet, second.Subnet);
        Assert.NotEqual(firstLease, EtcdLeaseOf(second.Key));
        Assert.True(scope.Logs.Contains($"reusing lease {first.Subnet}"));
    }

    [Fact]
    public async Task ReservationWithOurPublicIpIsReusedAndGetsALease()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        server.Etcdctl("put", scope.Key("10.244.200.0-24"), """{"PublicIP":"198.18.0.10","PublicIPv6":null}""");

        Lease lease = await NewManager(scope, config).AcquireAsync(CancellationToken.None);

        Assert.Equal(Ipv4Subnet.Parse("10.244.200.0/24"), lease.Subnet);
        Assert.NotEqual(0, EtcdLeaseOf(lease.Key));
    }

    [Fact]
    public async Task IncompatibleLeaseOfOurPublicIpIsDeletedAndANewSubnetAllocated()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        scope.PutFlannelLease("10.244.6.0-25", "198.18.0.10");

        Lease lease = await NewManager(scope, config).AcquireAsync(CancellationToken.None);

        Assert.Equal(24, lease.Subnet.PrefixLength);
        Assert.Null(scope.Get(scope.Key("10.244.6.0-25")));
        Assert.True(scope.Logs.Contains("does not fit the config"));
    }

    [Fact]
    public async Task PreviousSubnetFromTheSubnetFileIsReusedWhenFree()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        SubnetEnvFile.Write(SubnetFile, config.Network, Ipv4Subnet.Parse("10.244.177.0/24"), 1472, ipMasquerade: false);

        Lease lease = await NewManager(scope, config).AcquireAsync(CancellationToken.None);

        Assert.Equal(Ipv4Subnet.Parse("10.244.177.0/24"), lease.Subnet);
        Assert.True(scope.Logs.Contains("reusing previous subnet 10.244.177.0/24"));
    }

    [Fact]
    public async Task PreviousSubnetHeldByAnotherNodeIsNotTaken()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        SubnetEnvFile.Write(SubnetFile, config.Network, Ipv4Subnet.Parse("10.244.178.0/24"), 1472, ipMasquerade: false);
        scope.PutFlannelLease("10.244.178.0-24", "198.18.0.99");

        Lease lease = await NewManager(scope, config).AcquireAsync(CancellationToken.None);

        Assert.NotEqual(Ipv4Subnet.Parse("10.244.178.0/24"), lease.Subnet);
        Assert.Equal("""{"PublicIP":"198.18.0.99","PublicIPv6":null}""", scope.Get(scope.Key("10.244.178.0-24")));
    }

    [Fact]
    public async Task ALostCreationRacePicksAnotherSubnet()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        var registry = new InterruptibleRegistry(scope.Registry);
        LeaseManager winner = NewManager(scope, config, publicIp: Ipv4.Parse("198.18.0.21"), seed: 42);
        LeaseManager loser = NewManager(scope, config, registry, publicIp: Ipv4.Parse("198.18.0.22"), seed: 42);
        Lease? winnerLease = null;
        // The loser has listed and chosen; the winner takes the same subnet before the loser's transaction.
        registry.BeforeCreate = async _ =>
        {
            registry.BeforeCreate = null;
            winnerLease = await winner.AcquireAsync(CancellationToken.None);
        };

        Lease loserLease = await loser.AcquireAsync(CancellationToken.None);

        Assert.NotNull(winnerLease);
        Assert.NotEqual(winnerLease.Subnet, loserLease.Subnet);
        Assert.True(scope.Logs.Contains($"subnet {winnerLease.Subnet} was taken by another node first"), scope.Logs.ToString());
        Assert.Equal("""{"PublicIP":"198.18.0.21","PublicIPv6":null}""", scope.Get(winnerLease.Key));
        Assert.Equal("""{"PublicIP":"198.18.0.22","PublicIPv6":null}""", scope.Get(loserLease.Key));
    }

    [Fact]
    public async Task TwoManagersRacingConcurrentlyEndWithDistinctSubnets()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        LeaseManager a = NewManager(scope, config, publicIp: Ipv4.Parse("198.18.0.31"), seed: 5);
        LeaseManager b = NewManager(scope, config, scope.NewRegistry(), publicIp: Ipv4.Parse("198.18.0.32"), seed: 5);

        Lease[] leases = await Task.WhenAll(a.AcquireAsync(CancellationToken.None), b.AcquireAsync(CancellationToken.None));

        Assert.NotEqual(leases[0].Subnet, leases[1].Subnet);
        Assert.Equal("""{"PublicIP":"198.18.0.31","PublicIPv6":null}""", scope.Get(leases[0].Key));
        Assert.Equal("""{"PublicIP":"198.18.0.32","PublicIPv6":null}""", scope.Get(leases[1].Key));
    }

    [Fact]
    public async Task OutOfSubnetsIsReportedAsSuch()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig("""{"Network":"10.244.0.0/28"}""");
        scope.PutFlannelLease("10.244.0.4-30", "198.18.0.1");
        scope.PutFlannelLease("10.244.0.8-30", "198.18.0.2");
        scope.PutFlannelLease("10.244.0.12-30", "198.18.0.3");

        var e = await Assert.ThrowsAsync<LeaseAcquisitionException>(() => NewManager(scope, config).AcquireAsync(CancellationToken.None));

        Assert.Contains("out of subnets", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeletedOwnKeyIsRecreatedWithTheSameSubnet()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        LeaseManager manager = NewManager(scope, config);
        Lease lease = await manager.AcquireAsync(CancellationToken.None);
        var changed = new List<Lease>();
        manager.LeaseChanged += changed.Add;
        await using var running = new Background(ct => manager.RunAsync(lease, ct));
        await Task.Delay(300);

        server.Etcdctl("del", lease.Key);

        await Eventually.True(() => scope.Logs.Contains("re-created"), s_patience, () => scope.Logs.ToString());
        Assert.Equal("""{"PublicIP":"198.18.0.10","PublicIPv6":null}""", scope.Get(lease.Key));
        Assert.NotEqual(0, EtcdLeaseOf(lease.Key));
        Assert.Equal(lease.Subnet, manager.Current!.Subnet);
        Assert.Empty(changed);
    }

    [Fact]
    public async Task LeaseTakenByAnotherNodeMovesToANewSubnetAndSaysSo()
    {
        using var scope = new EtcdScope(server);
        NetworkConfig config = scope.PutConfig();
        LeaseManager manager = NewManager(scope, config);
        Lease lease = await manager.AcquireAsync(CancellationToken.None);
        var changed = new List<Lease>();
        manager.LeaseChanged += l => { lock (changed) { changed.Add(l); } };
        await using var running = new Background(ct => manager.RunAsync(lease, ct));
        await Task.Delay(300);

        server.Etcdctl("put", lease.Key, """{"PublicIP":"198.18.0.66","PublicIPv6":null}""");

        await Eventually.True(() => { lock (changed) { return changed.Count == 1; } }, s_patience, () => scope.Logs.ToString());
        Lease moved = changed[0];
        Assert.NotEqual(lease.Subnet, moved.Subnet);
        Assert.Equal(moved.Key, manager.Current!.Key);
        Assert.Equal("""{"PublicIP":"198.18.0.10","PublicIPv6":null}""", scope.Get(moved.Key));
        Assert.Equal("""{"PublicIP":"198.18.0.66","PublicIPv6":null}""", scope.Get(lease.Key));
        server.Etcdctl("del", moved.Key);
        await Eventually.True(() => scope.Get(moved.Key) is not null, s_patience, "the moved lease is followed and re-created too");
    }

    [Fact]
    public async Task RenewsAtExpiryMinusTheMarginUnderAControlledClock()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var scope = new EtcdScope(server, time);
        NetworkConfig config = scope.PutConfig();
        LeaseManager manager = NewManager(scope, config, time: time);
        Lease lease = await manager.AcquireAsync(CancellationToken.None);
        long original = EtcdLeaseOf(lease.Key);
        await using var running = new Background(ct => manager.RunAsync(lease, ct));
        await Task.Delay(500);

        time.Advance(TimeSpan.FromHours(22.9));
        await Task.Delay(500);
        Assert.Equal(original, EtcdLeaseOf(lease.Key));

        // Minute by minute to a few minutes past the renewal time (23 h), then real time for the renewal's etcd calls:
        // on a loaded machine they can take longer than the clock steps leave them.
        for (int step = 0; step < 10 && EtcdLeaseOf(lease.Key) == original; step++)
        {
            time.Advance(TimeSpan.FromMinutes(1));
            await Task.Delay(200);
        }
        await Eventually.True(() => EtcdLeaseOf(lease.Key) != original, s_patience, () => scope.Logs.ToString());

        Assert.NotEqual(original, EtcdLeaseOf(lease.Key));
        Assert.True(scope.Logs.Contains($"renewed lease {lease.Subnet}"), scope.Logs.ToString());
        await Eventually.True(() => manager.Current!.Expiration > time.GetUtcNow() + TimeSpan.FromHours(23.5), s_patience, "expiry moved a day ahead");
    }
}
