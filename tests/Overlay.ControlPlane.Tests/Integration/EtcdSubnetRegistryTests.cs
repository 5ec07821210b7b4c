using System.Text.Json;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Tests.Support;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Etcd;

namespace Overlay.ControlPlane.Tests.Integration;

public sealed class EtcdSubnetRegistryTests(EtcdServer server) : IClassFixture<EtcdServer>
{
    [Fact]
    public async Task MissingConfigKeyPointsAtTheV3Api()
    {
        using var scope = new EtcdScope(server);

        var e = await Assert.ThrowsAsync<ConfigKeyMissingException>(() => scope.Registry.GetConfigAsync(CancellationToken.None));

        Assert.Equal($"{scope.Prefix}/config", e.Key);
        Assert.Contains("etcd v3 API", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadsTheConfigDocument()
    {
        using var scope = new EtcdScope(server);
        scope.PutConfig("""{"Network":"10.244.0.0/16"}""");

        Assert.Equal("""{"Network":"10.244.0.0/16"}""", await scope.Registry.GetConfigAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ListSkipsMalformedEntriesAndKeepsTheRest()
    {
        using var scope = new EtcdScope(server);
        scope.PutFlannelLease("10.244.7.0-24", "198.18.0.7");
        scope.PutFlannelLease("10.244.8.0-24", "198.18.0.8");
        server.Etcdctl("put", scope.Key("10.244.9.0-24"), """{"PublicIP":""}""");
        server.Etcdctl("put", scope.Key("10.244.10.0-24"), "garbage");
        server.Etcdctl("put", scope.Key("not-a-subnet"), """{"PublicIP":"198.18.0.11","PublicIPv6":null}""");
        long before = server.Revision();

        LeaseListing listing = await scope.Registry.ListLeasesAsync(CancellationToken.None);

        Assert.Equal([Ipv4Subnet.Parse("10.244.7.0/24"), Ipv4Subnet.Parse("10.244.8.0/24")], listing.Leases.Select(l => l.Subnet));
        Assert.Equal([Ipv4.Parse("198.18.0.7"), Ipv4.Parse("198.18.0.8")], listing.Leases.Select(l => l.PublicIp));
        Assert.All(listing.Leases, l => Assert.NotEqual(0, l.EtcdLeaseId));
        Assert.True(listing.Revision >= before);
        Assert.Equal(3, scope.Logs.Count("skipping"));
    }

    [Fact]
    public async Task CreateWritesFlannelBytesWithA24HourLease()
    {
        using var scope = new EtcdScope(server);
        var subnet = Ipv4Subnet.Parse("10.244.42.0/24");

        LeaseWrite? write = await scope.Registry.CreateLeaseAsync(subnet, new LeaseAttributes(Ipv4.Parse("198.18.0.42")), CancellationToken.None);

        Assert.NotNull(write);
        Assert.Equal("""{"PublicIP":"198.18.0.42","PublicIPv6":null}""", scope.Get(scope.Key("10.244.42.0-24")));
        using JsonDocument ttl = JsonDocument.Parse(server.Etcdctl("lease", "timetolive", write.EtcdLeaseId.ToString("x"), "-w", "json"));
        Assert.Equal(86400, ttl.RootElement.GetProperty("granted-ttl").GetInt64());
        Assert.InRange(ttl.RootElement.GetProperty("ttl").GetInt64(), 86390, 86400);
        Assert.InRange(write.Expiration - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24.1));
    }

    [Fact]
    public async Task SecondCreateOfTheSameSubnetSaysAlreadyExistsAndRevokesItsGrant()
    {
        using var scope = new EtcdScope(server);
        var subnet = Ipv4Subnet.Parse("10.244.43.0/24");
        LeaseWrite? first = await scope.Registry.CreateLeaseAsync(subnet, new LeaseAttributes(Ipv4.Parse("198.18.0.1")), CancellationToken.None);
        int leasesBefore = LeaseCount();

        LeaseWrite? second = await scope.Registry.CreateLeaseAsync(subnet, new LeaseAttributes(Ipv4.Parse("198.18.0.2")), CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(second);
        Assert.Equal("""{"PublicIP":"198.18.0.1","PublicIPv6":null}""", scope.Get(scope.Key("10.244.43.0-24")));
        Assert.Equal(leasesBefore, LeaseCount());
    }

    [Fact]
    public async Task RenewPutsUnconditionallyWithANewLease()
    {
        using var scope = new EtcdScope(server);
        server.Etcdctl("put", scope.Key("10.244.44.0-24"), """{"PublicIP":"198.18.0.44","PublicIPv6":null}""");

        LeaseWrite write = await scope.Registry.RenewLeaseAsync(scope.Key("10.244.44.0-24"), new LeaseAttributes(Ipv4.Parse("198.18.0.45")), CancellationToken.None);

        Assert.Equal("""{"PublicIP":"198.18.0.45","PublicIPv6":null}""", scope.Get(scope.Key("10.244.44.0-24")));
        TimeSpan? left = await scope.Registry.GetTimeToLiveAsync(write.EtcdLeaseId, CancellationToken.None);
        Assert.NotNull(left);
        Assert.InRange(left.Value.TotalSeconds, 86390, 86400);
    }

    [Fact]
    public async Task TimeToLiveOfNoLeaseIsNull()
    {
        using var scope = new EtcdScope(server);

        Assert.Null(await scope.Registry.GetTimeToLiveAsync(0, CancellationToken.None));
        Assert.Null(await scope.Registry.GetTimeToLiveAsync(0x7777_0000_1234, CancellationToken.None));
    }

    [Fact]
    public async Task WatchReportsPutsAndDeletesFromTheGivenRevision()
    {
        using var scope = new EtcdScope(server);
        long start = server.Revision() + 1;
        scope.PutFlannelLease("10.244.50.0-24", "198.18.0.50");
        server.Etcdctl("del", scope.Key("10.244.50.0-24"));
        var seen = new List<KeyEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await foreach (WatchBatch batch in scope.Registry.WatchAsync(scope.Registry.SubnetsPrefix, isPrefix: true, start, timeout.Token))
        {
            seen.AddRange(batch.Events);
            if (seen.Count >= 2)
            {
                break;
            }
        }

        Assert.Equal([KeyEventKind.Put, KeyEventKind.Delete], seen.Select(e => e.Kind));
        Assert.All(seen, e => Assert.Equal(scope.Key("10.244.50.0-24"), e.Key));
        Assert.Equal("""{"PublicIP":"198.18.0.50","PublicIPv6":null}""", System.Text.Encoding.UTF8.GetString(seen[0].Value.Span));
    }

    [Fact]
    public async Task WatchFromACompactedRevisionAsksForAResync()
    {
        using var scope = new EtcdScope(server);
        long old = server.Revision();
        scope.PutFlannelLease("10.244.51.0-24", "198.18.0.51");
        long compacted = server.Compact();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var e = await Assert.ThrowsAsync<WatchResyncRequiredException>(async () =>
        {
            await foreach (WatchBatch batch in scope.Registry.WatchAsync(scope.Registry.SubnetsPrefix, isPrefix: true, old, timeout.Token))
            {
                Assert.Empty(batch.Events);
            }
        });

        Assert.Equal(compacted, e.CompactRevision);
    }

    private int LeaseCount() => server.Etcdctl("lease", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
}
