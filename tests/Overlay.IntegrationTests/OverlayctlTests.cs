using System.Text.Json;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>overlayctl against running daemons in the lab: routes beside etcd's leases, live totals, pcap capture.</summary>
public sealed class OverlayctlTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [PrivilegedFact]
    public void Routes_stats_and_a_capture_that_tshark_reads_come_from_the_running_daemon()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1);
        string firstSubnet = first.WaitForSubnet(s_timeout);
        string secondTun = OverlayLab.TunAddress(second.WaitForSubnet(s_timeout));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
        string socket = lab.AdminSocketFor(0);

        // overlayctl reads etcd directly from host 1's namespace (where etcd listens) and asks the daemon over its socket.
        ToolResult routes = Ctl.TryExec(lab.Host(0), s_timeout, "-socket", socket, "-etcd-endpoints", lab.Etcd.Endpoint, "routes");
        Assert.True(routes.ExitCode == 0, routes.StandardOutput + routes.StandardError);
        Assert.Matches($@"{secondTun}/24\s+198\.18\.0\.2:8285\s+198\.18\.0\.2\s+in sync", routes.StandardOutput);
        Assert.Matches($@"{OverlayLab.TunAddress(firstSubnet)}/24\s+-\s+198\.18\.0\.1\s+this host", routes.StandardOutput);

        // Totals, then a second of rates while a bounded ping runs: the peer's row counts the echo requests sent to
        // it and the replies received from it.
        Task pinging = Task.Run(() => lab.Ping(0, secondTun, count: 15, interval: 0.1));
        ToolResult stats = Ctl.TryRun(s_timeout, "-socket", socket, "stats", "-c", "2", "-o", "json");
        pinging.Wait(s_timeout);
        Assert.True(stats.ExitCode == 0, stats.StandardOutput + stats.StandardError);
        string[] samples = stats.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, samples.Length);
        JsonElement totals = PeerRow(samples[0], "198.18.0.2");
        Assert.True(totals.GetProperty("sentPackets").GetDouble() >= 1 && totals.GetProperty("receivedPackets").GetDouble() >= 1, samples[0]);
        JsonElement rates = PeerRow(samples[1], "198.18.0.2");
        Assert.True(rates.GetProperty("sentPackets").GetDouble() > 0 && rates.GetProperty("receivedPackets").GetDouble() > 0, samples[1]);

        string file = Path.Combine(Path.GetDirectoryName(socket)!, "capture.pcap");
        Task<ToolResult> capture = Task.Run(() => Ctl.TryRun(s_timeout, "-socket", socket, "capture", "-c", "4", "-w", file));
        Thread.Sleep(1500);
        lab.Ping(0, secondTun, count: 4, interval: 0.1);
        ToolResult captured = capture.Result;
        Assert.True(captured.ExitCode == 0, captured.StandardOutput + captured.StandardError + first.Output);

        string fields = Tools.Run("tshark", "-r", file, "-T", "fields", "-e", "sll.pkttype", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto");
        string[] packets = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, packets.Length);
        Assert.All(packets, p => Assert.Contains(secondTun, p));
        Assert.All(packets, p => Assert.EndsWith("\t1", p));
        // Echo requests leave towards the peer ("sent by us", 4) and replies come back from it ("to us", 0).
        Assert.All(packets, p => Assert.Equal(p.Split('\t')[2] == secondTun ? "4" : "0", p.Split('\t')[0]));
        Assert.Contains(packets, p => p.StartsWith("0\t", StringComparison.Ordinal));
        Assert.Contains(packets, p => p.StartsWith("4\t", StringComparison.Ordinal));
    }

    private static JsonElement PeerRow(string sample, string address)
    {
        using JsonDocument document = JsonDocument.Parse(sample);
        return document.RootElement.GetProperty("peers").EnumerateArray().Single(p => p.GetProperty("address").GetString() == address).Clone();
    }

    private static OverlayBinaries Ctl => OverlayBinaries.Ctl;
}
