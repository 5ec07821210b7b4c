using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Tests.Support;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Etcd;
using Xunit.Abstractions;

namespace Overlay.ControlPlane.Tests.Integration;

/// <summary>
/// Each cause the classifier names, produced by a real etcd (or a real closed port) and a real client: the
/// exception the call throws must classify as that cause. No route, timeouts and unresolved names need a network
/// namespace and are tested on the daemon (Overlay.IntegrationTests, EtcdUnreachableTests).
/// </summary>
public sealed class EtcdFailureCauseTests(ITestOutputHelper output)
{
    private const string Prefix = "/coreos.com/network";
    private const string Config = """{"Network":"10.244.0.0/16"}""";
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ServerCertificateForAnotherAddressIsANameMismatch()
    {
        // The certificate names 127.0.0.2; the server listens on 127.0.0.1.
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.2");
        using EtcdServer server = EtcdServer.StartWithTls(tls, requireClientCertificates: false);

        await AssertCause(EtcdFailureKind.CertificateNameMismatch, new EtcdOptions { Endpoints = [server.Endpoint], CaFile = tls.CaFile });
    }

    [Fact]
    public async Task ServerCertificateOfAnotherCaIsAnUnknownAuthority()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdTlsFiles other = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer server = EtcdServer.StartWithTls(tls, requireClientCertificates: false);

        await AssertCause(EtcdFailureKind.CertificateUnknownAuthority, new EtcdOptions { Endpoints = [server.Endpoint], CaFile = other.CaFile });
        // Without -etcd-cafile the system roots are used, and they do not know the test CA either.
        await AssertCause(EtcdFailureKind.CertificateUnknownAuthority, new EtcdOptions { Endpoints = [server.Endpoint] });
    }

    [Fact]
    public async Task ExpiredServerCertificateIsNamed()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1", serverCertificateExpired: true);
        using EtcdServer server = EtcdServer.StartWithTls(tls, requireClientCertificates: false);

        await AssertCause(EtcdFailureKind.CertificateExpired, new EtcdOptions { Endpoints = [server.Endpoint], CaFile = tls.CaFile });
    }

    [Fact]
    public async Task NoClientCertificateForAnEtcdThatRequiresOneIsNamed()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer server = EtcdServer.StartWithTls(tls);

        await AssertCause(EtcdFailureKind.ClientCertificateRequired, new EtcdOptions { Endpoints = [server.Endpoint], CaFile = tls.CaFile });
    }

    [Fact]
    public async Task ClientCertificateOfAnotherCaIsRejected()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdTlsFiles other = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer server = EtcdServer.StartWithTls(tls);

        await AssertCause(EtcdFailureKind.ClientCertificateRejected,
            new EtcdOptions { Endpoints = [server.Endpoint], CaFile = tls.CaFile, CertFile = other.ClientCertFile, KeyFile = other.ClientKeyFile });
    }

    [Fact]
    public async Task PlainTextToATlsServerAndTlsToAPlainServerAreNamed()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer secure = EtcdServer.StartWithTls(tls, requireClientCertificates: false);
        using var plain = new EtcdServer();

        await AssertCause(EtcdFailureKind.PlainTextToTlsServer, new EtcdOptions { Endpoints = [secure.Endpoint.Replace("https://", "http://", StringComparison.Ordinal)] });
        await AssertCause(EtcdFailureKind.TlsHandshakeFailed, new EtcdOptions { Endpoints = [plain.Endpoint.Replace("http://", "https://", StringComparison.Ordinal)] });
    }

    [Fact]
    public async Task AClosedPortIsConnectionRefused() =>
        await AssertCause(EtcdFailureKind.ConnectionRefused, new EtcdOptions { Endpoints = [$"http://127.0.0.1:{ClosedLoopbackPort()}"] });

    [Fact]
    public async Task AuthenticationMissingOrWrongAndPermissionDeniedAreNamed()
    {
        using var server = new EtcdServer();
        server.Etcdctl("user", "add", "root", "--new-user-password=s3cret");
        server.Etcdctl("user", "grant-role", "root", "root");
        server.Etcdctl("user", "add", "guest", "--new-user-password=guest");
        server.Etcdctl("auth", "enable");
        server.Etcdctl("--user=root:s3cret", "put", $"{Prefix}/config", Config);
        var anonymous = new EtcdOptions { Endpoints = [server.Endpoint] };

        await AssertCause(EtcdFailureKind.AuthenticationRequired, anonymous);
        await AssertCause(EtcdFailureKind.AuthenticationFailed, anonymous with { Username = "root", Password = "wrong" });
        EtcdFailure denied = await AssertCause(EtcdFailureKind.PermissionDenied, anonymous with { Username = "guest", Password = "guest" });
        Assert.Contains($"readwrite {Prefix}/", denied.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OneWayTlsWithOnlyACaFileWorks()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer server = EtcdServer.StartWithTls(tls, requireClientCertificates: false);
        server.Etcdctl("put", $"{Prefix}/config", Config);
        var logs = new CapturedLogs();
        using var registry = new EtcdSubnetRegistry(new EtcdOptions { Endpoints = [server.Endpoint], CaFile = tls.CaFile, CallTimeout = TimeSpan.FromSeconds(5) },
            logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);

        Assert.Equal(Config, await registry.GetConfigAsync(CancellationToken.None));
        Assert.True(logs.Contains("(tls, trusting " + tls.CaFile + ", no client certificate)"), logs.ToString());
        Assert.False(logs.Contains("plain text"), logs.ToString());
    }

    [Fact]
    public async Task TheConfigWaitWarnsOnceAboutAMissingClientCertificateAndOnceWhenEtcdAnswers()
    {
        using EtcdTlsFiles tls = EtcdTlsFiles.Create("127.0.0.1");
        using EtcdServer server = EtcdServer.StartWithTls(tls);
        server.Etcdctl("put", $"{Prefix}/config", Config);
        var logs = new CapturedLogs();
        var options = new EtcdOptions { Endpoints = [server.Endpoint], CaFile = tls.CaFile, CallTimeout = TimeSpan.FromSeconds(2) };
        using ControlPlaneService service = NewService(options, logs);
        using var stop = new CancellationTokenSource(s_patience);

        Task<NetworkConfig> waiting = service.WaitForConfigAsync(stop.Token);
        await Eventually.True(() => logs.Contains("requires a client certificate"), s_patience, logs.ToString);
        // The wait retries every second: three more attempts, and not one more line.
        await Task.Delay(TimeSpan.FromSeconds(3.5));

        Assert.False(waiting.IsCompleted);
        CapturedLine warning = Assert.Single(logs.Lines, l => l.Level >= LogLevel.Warning && !l.Message.Contains("plain text", StringComparison.Ordinal));
        output.WriteLine(warning.Message);
        Assert.Contains("-etcd-certfile and -etcd-keyfile", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("DeadlineExceeded", logs.ToString(), StringComparison.Ordinal);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
    }

    [Fact]
    public async Task AnOutageIsReportedOnceAndTheRecoveryOnce()
    {
        using var server = new EtcdServer();
        server.Stop();
        var logs = new CapturedLogs();
        using ControlPlaneService service = NewService(new EtcdOptions { Endpoints = [server.Endpoint], Prefix = Prefix, CallTimeout = TimeSpan.FromSeconds(2) }, logs);

        Task<NetworkConfig> waiting = service.WaitForConfigAsync(CancellationToken.None);
        await Eventually.True(() => logs.Contains("connection refused"), s_patience, logs.ToString);
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal(EtcdFailureKind.ConnectionRefused, service.EtcdProblem?.Kind);
        server.Start();
        server.Etcdctl("put", $"{Prefix}/config", Config);
        await waiting.WaitAsync(s_patience);

        output.WriteLine(logs.ToString());
        Assert.True(1 == logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("connection refused", StringComparison.Ordinal)), logs.ToString());
        Assert.True(1 == logs.Count("answers again (was: connection refused"), logs.ToString());
        Assert.Null(service.EtcdProblem);
    }

    private static ControlPlaneService NewService(EtcdOptions options, CapturedLogs logs) =>
        new(options, new ControlPlaneOptions(Ipv4.Parse("198.18.0.10"), Path.Combine(Path.GetTempPath(), $"ovt-cause-{Guid.NewGuid():N}.env"),
            ControlPlaneOptions.DefaultRenewMargin), new RouteTableHolder(), logs, TimeProvider.System);

    /// <summary>Reads the config through a fresh client and returns the classified failure, which must be <paramref name="expected"/>.</summary>
    private async Task<EtcdFailure> AssertCause(EtcdFailureKind expected, EtcdOptions options)
    {
        var logs = new CapturedLogs();
        using var registry = new EtcdSubnetRegistry(options with { CallTimeout = TimeSpan.FromSeconds(3) }, logs.CreateLogger<EtcdSubnetRegistry>(), TimeProvider.System);
        Exception? thrown = await Record.ExceptionAsync(() => registry.GetConfigAsync(CancellationToken.None));

        Assert.NotNull(thrown);
        EtcdFailure failure = EtcdFailureClassifier.Classify(thrown, registry.FailureContext);
        output.WriteLine($"{expected}: {failure.Cause}; fix: {failure.Fix}");
        Assert.True(expected == failure.Kind, $"expected {expected}, got {failure.Kind} from {thrown}");
        return failure;
    }

    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
