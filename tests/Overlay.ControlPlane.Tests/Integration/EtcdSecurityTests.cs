using System.Text.Json;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Tests.Support;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Etcd;

namespace Overlay.ControlPlane.Tests.Integration;

/// <summary>TLS and user/password, each against its own etcd server configured for it.</summary>
public sealed class EtcdSecurityTests
{
    private const string Prefix = "/coreos.com/network";

    [Fact]
    public async Task TalksToATlsOnlyEtcdWithClientCertificates()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer server = EtcdServer.StartWithTls(tls);
        server.Etcdctl("put", $"{Prefix}/config", """{"Network":"10.244.0.0/16"}""");
        var logs = new CapturedLogs();
        var options = new EtcdOptions
        {
            Endpoints = [server.Endpoint],
            CertFile = tls.ClientCertFile,
            KeyFile = tls.ClientKeyFile,
            CaFile = tls.CaFile,
            CallTimeout = TimeSpan.FromSeconds(5),
        };
        using var registry = new EtcdSubnetRegistry(options, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);

        Assert.Equal("""{"Network":"10.244.0.0/16"}""", await registry.GetConfigAsync(CancellationToken.None));
        LeaseWrite? write = await registry.CreateLeaseAsync(Ipv4Subnet.Parse("10.244.5.0/24"), new LeaseAttributes(Ipv4.Parse("198.18.0.5")), CancellationToken.None);
        Assert.NotNull(write);
        await AssertWatchSeesAPut(server, registry);
        Assert.True(logs.Contains("(tls, trusting " + tls.CaFile + ", client certificate " + tls.ClientCertFile + ")"), logs.ToString());
        Assert.False(logs.Contains("plain text"));
    }

    [Fact]
    public async Task AuthenticatesWithUsernameAndPasswordIncludingTheWatchStream()
    {
        using var server = new EtcdServer();
        server.Etcdctl("user", "add", "root", "--new-user-password=s3cret");
        server.Etcdctl("auth", "enable");
        server.Etcdctl("--user=root:s3cret", "put", $"{Prefix}/config", """{"Network":"10.244.0.0/16"}""");
        var logs = new CapturedLogs();
        EtcdOptions options = new() { Endpoints = [server.Endpoint], CallTimeout = TimeSpan.FromSeconds(5) };
        using var anonymous = new EtcdSubnetRegistry(options, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);
        using var registry = new EtcdSubnetRegistry(options with { Username = "root", Password = "s3cret" }, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);

        await Assert.ThrowsAsync<RpcException>(() => anonymous.GetConfigAsync(CancellationToken.None));
        Assert.Equal("""{"Network":"10.244.0.0/16"}""", await registry.GetConfigAsync(CancellationToken.None));
        await AssertWatchSeesAPut(server, registry, "--user=root:s3cret");
    }

    [Fact]
    public void HttpEndpointsArePlainTextWithAWarningEvenWithCertificateFiles()
    {
        var logs = new CapturedLogs();
        var options = new EtcdOptions { Endpoints = ["http://127.0.0.1:1"], CaFile = "/nonexistent/ca.pem", CertFile = "/nonexistent/cert.pem", KeyFile = "/nonexistent/key.pem" };

        using var registry = new EtcdSubnetRegistry(options, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);

        Assert.False(registry.Transport.Tls);
        Assert.True(logs.Contains("plain text (http:// endpoints), which is insecure"));
        Assert.True(logs.Contains("apply to https:// endpoints only"));
    }

    [Fact]
    public void AnHttpsEndpointIsNeverPlainText()
    {
        var logs = new CapturedLogs();

        using var registry = new EtcdSubnetRegistry(new EtcdOptions { Endpoints = ["https://127.0.0.1:1"] }, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);

        Assert.True(registry.Transport.Tls);
        Assert.True(logs.Contains("(tls, trusting the system roots, no client certificate)"), logs.ToString());
        Assert.False(logs.Contains("plain text"));
    }

    [Fact]
    public void AnUnreadableCaFileNamesTheFlag()
    {
        var logs = new CapturedLogs();
        var options = new EtcdOptions { Endpoints = ["https://127.0.0.1:1"], CaFile = "/nonexistent/ca.pem" };

        var e = Assert.Throws<EtcdSettingsException>(() => new EtcdSubnetRegistry(options, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System));

        Assert.Equal("etcd-cafile", e.Flags);
        Assert.Contains("-etcd-cafile=/nonexistent/ca.pem", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EndpointListsSplitAtCommas()
    {
        var options = new EtcdOptions { Endpoints = ["http://a:2379, http://b:2379", "", "http://c:2379"] };

        Assert.Equal(["http://a:2379", "http://b:2379", "http://c:2379"], options.EndpointList());
    }

    private static async Task AssertWatchSeesAPut(EtcdServer server, EtcdSubnetRegistry registry, params string[] etcdctlAuth)
    {
        string put = server.Etcdctl([.. etcdctlAuth, "-w", "json", "put", $"{Prefix}/subnets/10.244.9.0-24", """{"PublicIP":"198.18.0.9","PublicIPv6":null}"""]);
        using JsonDocument response = JsonDocument.Parse(put);
        long start = response.RootElement.GetProperty("header").GetProperty("revision").GetInt64();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (WatchBatch batch in registry.WatchAsync(registry.SubnetsPrefix, isPrefix: true, start, timeout.Token))
        {
            if (batch.Events.Count > 0)
            {
                Assert.Equal($"{Prefix}/subnets/10.244.9.0-24", batch.Events[0].Key);
                return;
            }
        }
        Assert.Fail("the watch ended without the put");
    }
}
