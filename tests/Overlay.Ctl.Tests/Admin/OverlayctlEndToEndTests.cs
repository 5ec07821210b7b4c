using System.Text.Json;
using Overlay.ControlPlane.Etcd;
using Overlay.Daemon.Admin;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Capture;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.TestKit;
using Overlay.TestKit.Packets;

namespace Overlay.Ctl.Tests.Admin;

/// <summary>
/// The real overlayctl binary against an <see cref="AdminServer"/> on a temporary socket, fed by a fake route
/// source, fake counters and a capture tap the test drives. No root needed.
/// </summary>
public sealed class OverlayctlEndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan s_runTimeout = TimeSpan.FromSeconds(30);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("overlayctl-");
    private readonly CaptureTap _tap = new(capacity: 64, snapLength: 256);
    private readonly ForwardingCounters _counters = new();
    private readonly RouteTable _routes = RouteTable.Create(
    [
        new Route(Ipv4Subnet.Parse("10.244.2.0/24"), new PeerEndpoint(Ipv4.Parse("198.18.0.2"), 8285)),
        new Route(Ipv4Subnet.Parse("10.244.3.0/24"), new PeerEndpoint(Ipv4.Parse("198.18.0.3"), 8285)),
    ]);
    private AdminServer? _server;

    private string SocketPath => Path.Combine(_directory.FullName, "overlayd.sock");

    public Task InitializeAsync()
    {
        var tally = new ForwardingTally();
        tally.AddTunRead(10, 1000);
        tally.AddUdpSent(9, 900);
        tally.Peers.Bind(_routes);
        Assert.True(_routes.TryGetPeerIndex(Ipv4.Parse("198.18.0.3"), out int peer));
        for (int i = 0; i < 9; i++)
        {
            tally.Peers.AddSent(peer, 100);
        }
        tally.Peers.AddReceived(peer, 60);
        _counters.Add(tally);
        _server = AdminServer.Start(
            SocketPath,
            new AdminSources(() => _routes, _counters.Snapshot, _tap, ListLeasesAsync, _counters.Peers, () => Ipv4Subnet.Parse("10.244.1.0/24")));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _directory.Delete(recursive: true);
    }

    [Fact]
    public void RoutesShowsTheDaemonTableNextToEtcdWithDriftMarked()
    {
        ToolResult result = Overlayctl("-socket", SocketPath, "routes");
        Assert.Equal(0, result.ExitCode);
        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("SUBNET", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^10\.244\.1\.0/24\s+-\s+198\.18\.0\.1\s+this host$", lines[1]);
        Assert.Matches(@"^10\.244\.2\.0/24\s+198\.18\.0\.2:8285\s+198\.18\.0\.2\s+in sync$", lines[2]);
        Assert.Matches(@"^10\.244\.3\.0/24\s+198\.18\.0\.3:8285\s+198\.18\.0\.9\s+next hop differs$", lines[3]);
        Assert.Equal(4, lines.Length);
    }

    [Fact]
    public void StatsPrintsTheDaemonTotalsInUnitsAndAligned()
    {
        ToolResult result = Overlayctl("stats", "-c", "1", "-socket", SocketPath);
        Assert.Equal(0, result.ExitCode);
        string[] lines = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string totals = lines.Single(l => l.StartsWith("total", StringComparison.Ordinal));
        Assert.Matches(@"^total\s+10 pkt\s+9 pkt\s+900 B\s+0 pkt\s+0 B\s+0 pkt\s+0 pkt\s+2$", totals);
        string[] peers = [.. lines.Where(l => l.StartsWith("  198.18.", StringComparison.Ordinal))];
        Assert.Matches(@"^  198\.18\.0\.2\s+0 pkt\s+0 B\s+0 pkt\s+0 B$", peers[0]);
        Assert.Matches(@"^  198\.18\.0\.3\s+9 pkt\s+900 B\s+1 pkt\s+60 B$", peers[1]);
        // Every column ends where its header ends.
        Assert.Equal(lines[0].Length, totals.Length);
        Assert.Equal(lines[1].Length, peers[1].Length);
    }

    [Fact]
    public void StatsAsJsonGivesScriptsTheRawTotals()
    {
        ToolResult result = Overlayctl("stats", "-c", "1", "-o", "json", "-socket", SocketPath);
        Assert.Equal(0, result.ExitCode);
        using JsonDocument sample = JsonDocument.Parse(result.StandardOutput.Trim('\n'));
        JsonElement root = sample.RootElement;
        Assert.Equal("totals", root.GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("seconds").ValueKind);
        Assert.Equal(2, root.GetProperty("routes").GetInt32());
        JsonElement host = root.GetProperty("host");
        Assert.Equal(10, host.GetProperty("tunPacketsRead").GetInt64());
        Assert.Equal(900, host.GetProperty("udpBytesSent").GetInt64());
        JsonElement peer = root.GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("address").GetString() == "198.18.0.3");
        Assert.Equal([9, 900, 1, 60], new[] { "sentPackets", "sentBytes", "receivedPackets", "receivedBytes" }.Select(f => peer.GetProperty(f).GetInt64()));
    }

    [Fact]
    public async Task ASecondServerOnALiveSocketFailsNamingTheFlagWhileAStaleSocketIsReplaced()
    {
        var sources = new AdminSources(() => _routes, _counters.Snapshot, _tap);
        var inUse = Assert.ThrowsAny<Exception>(() => AdminServer.Start(SocketPath, sources));
        Assert.Contains("-admin-socket", inUse.Message, StringComparison.Ordinal);
        Assert.Contains(SocketPath, inUse.Message, StringComparison.Ordinal);
        Assert.Equal(0, Overlayctl("-socket", SocketPath, "stats", "-c", "1").ExitCode);

        // A socket left by a daemon that died (bound, never unlinked, nobody listening) is taken over.
        string stale = Path.Combine(_directory.FullName, "stale.sock");
        LeftoverSocket.Create(stale);
        Assert.True(File.Exists(stale));
        await using AdminServer replacement = AdminServer.Start(stale, sources);
        Assert.Equal(0, Overlayctl("-socket", stale, "stats", "-c", "1").ExitCode);

        // Anything else at the path is not the server's to delete.
        string file = Path.Combine(_directory.FullName, "notes.txt");
        await File.WriteAllTextAsync(file, "keep me");
        var notSocket = Assert.ThrowsAny<Exception>(() => AdminServer.Start(file, sources));
        Assert.Contains("is not a socket", notSocket.Message, StringComparison.Ordinal);
        Assert.Equal("keep me", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task CaptureWritesPcapThatTsharkReads()
    {
        string file = Path.Combine(_directory.FullName, "capture.pcap");
        Task<ToolResult> capture = Task.Run(() => Overlayctl("-socket", SocketPath, "capture", "-c", "5", "-w", file));
        PacketBatch batch = BatchTo(7);
        using (var deadline = new CancellationTokenSource(s_runTimeout))
        {
            while (!capture.IsCompleted && !deadline.IsCancellationRequested)
            {
                // A forwarding loop offers every batch; only batches offered during the session are kept.
                _tap.Offer(batch, CaptureDirection.Outbound);
                await Task.Delay(20);
            }
        }
        ToolResult result = await capture;
        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("5 packets captured", result.StandardError, StringComparison.Ordinal);

        string fields = Tools.Run("tshark", "-r", file, "-T", "fields", "-e", "sll.pkttype", "-e", "ip.src", "-e", "ip.dst");
        // Packet type 4: "sent by us", the outbound direction the batches were offered in.
        string[] expected = [.. Enumerable.Range(1, 5).Select(i => $"4\t10.244.1.2\t10.244.2.{i}")];
        Assert.Equal(expected, fields.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(_tap.IsEnabled);
    }

    [Fact]
    public void SecondConcurrentCaptureIsRefused()
    {
        Assert.True(_tap.TryStartSession(out CaptureSession? busy));
        using (busy)
        {
            ToolResult result = Overlayctl("-socket", SocketPath, "capture", "-c", "1", "-w", Path.Combine(_directory.FullName, "x.pcap"));
            Assert.Equal(1, result.ExitCode);
            Assert.Contains("already running", result.StandardError, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void UnreachableDaemonExitsOneNamingTheSocket()
    {
        string missing = Path.Combine(_directory.FullName, "nobody.sock");
        ToolResult result = Overlayctl("-socket", missing, "routes");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(missing, result.StandardError, StringComparison.Ordinal);
        Assert.Contains("-socket", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void BadUsageExitsTwo()
    {
        ToolResult result = Overlayctl("frobnicate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("usage: overlayctl", result.StandardError, StringComparison.Ordinal);
    }

    private static ToolResult Overlayctl(params string[] args) =>
        Tools.TryRun(s_runTimeout, "dotnet", [Path.Combine(AppContext.BaseDirectory, "overlayctl.dll"), .. args]);

    private static Task<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken) => Task.FromResult(new LeaseListing(
    [
        Lease("10.244.1.0/24", "198.18.0.1"),
        Lease("10.244.2.0/24", "198.18.0.2"),
        Lease("10.244.3.0/24", "198.18.0.9"),
    ], Revision: 42));

    private static SubnetLease Lease(string subnet, string publicIp) => new(
        "/coreos.com/network/subnets/" + subnet.Replace('/', '-'),
        new ParsedSubnetKey(Ipv4Subnet.Parse(subnet), IsCanonical: true, Ipv6Subnet: null),
        new LeaseAttributes(Ipv4.Parse(publicIp)),
        EtcdLeaseId: 0x1234,
        ModRevision: 7);

    private static PacketBatch BatchTo(int count)
    {
        var batch = new PacketBatch(capacity: 16, slotSize: 256);
        for (int i = 0; i < count; i++)
        {
            byte[] packet = PacketBuilder.Between("10.244.1.2", $"10.244.2.{i + 1}").Udp();
            packet.CopyTo(batch.Slot(i));
            batch.Length(i) = packet.Length;
        }
        batch.Count = count;
        return batch;
    }
}
