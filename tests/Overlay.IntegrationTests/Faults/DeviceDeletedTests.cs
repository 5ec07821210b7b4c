using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// flannel0 deleted under a running daemon: its forwarding threads cannot go on, so it exits 1 for the supervisor to
/// restart it, and the log names the call that failed and its errno instead of a bare "a fault".
/// </summary>
public sealed class DeviceDeletedTests(ITestOutputHelper output)
{
    [PrivilegedFact]
    public void A_deleted_device_ends_the_daemon_with_the_failed_call_and_its_errno()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 1);
        DaemonProcess daemon = lab.StartDaemon(0);
        daemon.WaitForSubnet(TimeSpan.FromSeconds(30));

        lab.Host(0).Exec("ip", "link", "delete", "flannel0");

        Assert.True(Poll.Until(() => daemon.HasExited, TimeSpan.FromSeconds(30)), "overlayd kept running without its device:\n" + daemon.Output);
        string line = daemon.Output.Split('\n').FirstOrDefault(l => l.Contains("ended: TUN queue 0: read failed:", StringComparison.Ordinal)) ?? "";
        output.WriteLine(line);
        Assert.Equal(1, daemon.ExitCode);
        Assert.Contains("forwarding loop 'tun-to-udp-0' ended: TUN queue 0: read failed:", line);
        Assert.Matches(@"\(errno \d+\)", line);
    }
}
