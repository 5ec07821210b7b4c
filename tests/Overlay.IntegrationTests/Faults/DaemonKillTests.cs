using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>overlayd killed without warning under traffic, then started again as a supervisor would.</summary>
public sealed class DaemonKillTests(ITestOutputHelper output)
{
    /// <summary>The promise: traffic flows again this soon after the restarted daemon wrote its subnet file.</summary>
    private static readonly TimeSpan s_recoveryBudget = TimeSpan.FromSeconds(5);

    [PrivilegedFact]
    public void Kill_9_under_traffic_then_restart_with_the_same_subnet_file_restores_the_subnet_and_traffic_within_five_seconds()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        HandWrittenLeases.ConfineDaemons(lab);
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1);
        first.WaitForSubnet(TimeSpan.FromSeconds(30));
        string secondSubnet = second.WaitForSubnet(TimeSpan.FromSeconds(30));
        string secondTun = OverlayLab.TunAddress(secondSubnet);
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);

        // Ten echo requests a second for at most 60 s; interrupted once recovery has been seen.
        using BackgroundPing traffic = BackgroundPing.Start(lab.Host(0), secondTun, count: 600, interval: 0.1);
        Thread.Sleep(1000);
        second.Kill();
        // Taken once the process is gone: no reply can come from host 2 after this until the restart forwards again.
        DateTimeOffset killedAt = DateTimeOffset.UtcNow;
        Assert.Equal(128 + 9, second.ExitCode);
        Assert.True(Poll.Until(() => !lab.Host(1).Exec("ip", "-o", "link", "show").Contains("flannel0", StringComparison.Ordinal), TimeSpan.FromSeconds(5)),
            "the killed daemon's TUN device should vanish with its file descriptor");

        DaemonProcess restarted = lab.StartDaemon(1);
        Assert.True(restarted.WaitForOutput("wrote " + restarted.SubnetFile, TimeSpan.FromSeconds(30)),
            "the restarted daemon never wrote its subnet file:\n" + restarted.Output);
        var writtenAt = new DateTimeOffset(File.GetLastWriteTimeUtc(restarted.SubnetFile));
        string restartedSubnet = File.ReadAllLines(restarted.SubnetFile)[1]["FLANNEL_SUBNET=".Length..];
        Assert.Equal(secondSubnet, restartedSubnet);
        Assert.Contains("reusing lease " + OverlayLab.TunAddress(secondSubnet), restarted.Output);

        Assert.True(Poll.Until(() => lab.Ping(0, secondTun, count: 1).ExitCode == 0, s_recoveryBudget + TimeSpan.FromSeconds(5)),
            "no reply from the restarted host at all:\n" + restarted.Output);
        Thread.Sleep(500);
        PingReport report = traffic.Interrupt();

        PingReply? firstAfter = report.FirstReplyAfter(killedAt);
        Assert.True(firstAfter is not null, "the background ping saw no reply after the restart:\n" + report.Output);
        TimeSpan recovery = firstAfter.Value.ArrivedAt - writtenAt;
        output.WriteLine($"kill -9 to subnet file written: {(writtenAt - killedAt).TotalSeconds:0.000} s; " +
            $"subnet file written to first reply: {recovery.TotalSeconds:0.000} s; pings sent {report.Transmitted}, lost {report.Lost}");
        Assert.True(recovery <= s_recoveryBudget,
            $"first reply {recovery.TotalSeconds:0.000} s after the subnet file was written (budget {s_recoveryBudget.TotalSeconds} s):\n{report.Output}");
        Assert.True(report.Lost > 0, "pings must have been lost while the daemon was dead, or the kill did not happen under traffic");
        Assert.False(first.HasExited, first.Output);
        Assert.False(restarted.HasExited, restarted.Output);
    }
}
