using System.Text.Json;
using Overlay.TestKit;
using Overlay.TestKit.Packaging;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>
/// The binaries from the Debian package (tools/package.sh, extracted with dpkg-deb) doing a flannel host's job:
/// two hosts forward pings and a TCP stream, serve /readyz and /metrics, answer the packaged overlayctl, and stop
/// cleanly on SIGTERM. The rest of the suite can run against the same binary with OVERLAY_OVERLAYD and
/// OVERLAY_OVERLAYCTL (see <see cref="OverlayBinaries"/>).
/// </summary>
public sealed class PackagedDaemonTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [PrivilegedFact]
    public void The_packaged_overlayd_forwards_serves_its_endpoints_and_answers_the_packaged_overlayctl()
    {
        OverlayBinaries daemon = OverlayBinaries.Executable(DebianPackage.File("usr/bin/overlayd"));
        OverlayBinaries ctl = OverlayBinaries.Executable(DebianPackage.File("usr/bin/overlayctl"));
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess first = lab.StartDaemon(daemon, 0, "-healthz-ip=127.0.0.1", "-healthz-port=8471");
        DaemonProcess second = lab.StartDaemon(daemon, 1);
        string firstTun = OverlayLab.TunAddress(first.WaitForSubnet(s_timeout));
        string secondTun = OverlayLab.TunAddress(second.WaitForSubnet(s_timeout));

        ToolResult there = lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10));
        Assert.True(there.ExitCode == 0, $"h1 -> {secondTun}: {there.StandardOutput}\n{first.Output}");
        ToolResult back = lab.PingUntilReply(1, firstTun, TimeSpan.FromSeconds(10));
        Assert.True(back.ExitCode == 0, $"h2 -> {firstTun}: {back.StandardOutput}\n{second.Output}");
        using (IperfServer.Start(lab.Host(1), secondTun))
        {
            ToolResult stream = lab.Host(0).TryExec(TimeSpan.FromSeconds(20), "iperf3", "-c", secondTun, "-t", "2", "-f", "m");
            Assert.True(stream.ExitCode == 0, stream.StandardOutput + stream.StandardError + first.Output);
        }

        // Kestrel and the Prometheus exporter inside the native binary.
        Assert.Contains("flanneld is ready", HttpGet(lab, "/readyz"), StringComparison.Ordinal);
        Assert.Matches(@"overlay_peer_sent_packets\S*\{peer=""198\.18\.0\.2""\} [1-9]", HttpGet(lab, "/metrics"));

        ToolResult stats = ctl.TryRun(s_timeout, "-socket", lab.AdminSocketFor(0), "stats", "-c", "1", "-o", "json");
        Assert.True(stats.ExitCode == 0, stats.StandardOutput + stats.StandardError);
        using JsonDocument sample = JsonDocument.Parse(stats.StandardOutput.Trim());
        JsonElement peer = sample.RootElement.GetProperty("peers").EnumerateArray().Single();
        Assert.Equal("198.18.0.2", peer.GetProperty("address").GetString());
        Assert.True(peer.GetProperty("sentBytes").GetDouble() > 1_000_000, stats.StandardOutput);

        Assert.Equal(0, first.Stop(s_timeout));
        Assert.Equal(0, second.Stop(s_timeout));
    }

    private static string HttpGet(OverlayLab lab, string path) =>
        lab.Host(0).Exec("bash", "-c",
            $"exec 3<>/dev/tcp/127.0.0.1/8471; printf 'GET {path} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3; timeout 5 cat <&3");
}
