using Overlay.TestKit;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>What must survive: an etcd outage under traffic, a late joiner, a daemon restart.</summary>
public sealed class ResilienceTests
{
    [PrivilegedFact]
    public void Etcd_outage_of_ten_seconds_loses_no_forwarding_and_a_host_joining_afterwards_is_reachable()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 3);
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1);
        string firstTun = OverlayLab.TunAddress(first.WaitForSubnet(TimeSpan.FromSeconds(30)));
        string secondTun = OverlayLab.TunAddress(second.WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);

        // 60 pings over 12 s, with etcd down for 10 s in the middle of them.
        Task<ToolResult> traffic = Task.Run(() => lab.Ping(0, secondTun, count: 60, interval: 0.2));
        Thread.Sleep(1000);
        lab.Etcd.Stop();
        Thread.Sleep(10_000);
        lab.Etcd.Start();
        ToolResult during = traffic.Result;
        Assert.True(during.StandardOutput.Contains(" 0% packet loss", StringComparison.Ordinal),
            $"pings lost while etcd was down:\n{during.StandardOutput}\n{first.Output}");
        Assert.False(first.HasExited, first.Output);
        Assert.False(second.HasExited, second.Output);

        DaemonProcess third = lab.StartDaemon(2);
        string thirdTun = OverlayLab.TunAddress(third.WaitForSubnet(TimeSpan.FromSeconds(30)));
        ToolResult toNewcomer = lab.PingUntilReply(0, thirdTun, TimeSpan.FromSeconds(15));
        Assert.True(toNewcomer.ExitCode == 0, $"h1 cannot reach the late joiner {thirdTun}:\n{toNewcomer.StandardOutput}\n{first.Output}");
        Assert.Equal(0, lab.PingUntilReply(2, firstTun, TimeSpan.FromSeconds(15)).ExitCode);
        Assert.Equal(0, lab.PingUntilReply(2, secondTun, TimeSpan.FromSeconds(15)).ExitCode);
    }

    [PrivilegedFact]
    public void A_stopped_daemon_removes_its_device_keeps_its_lease_and_gets_its_subnet_back_on_restart()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1);
        string firstSubnet = first.WaitForSubnet(TimeSpan.FromSeconds(30));
        string secondSubnet = second.WaitForSubnet(TimeSpan.FromSeconds(30));
        Assert.Equal(0, lab.PingUntilReply(0, OverlayLab.TunAddress(secondSubnet), TimeSpan.FromSeconds(10)).ExitCode);

        Assert.Equal(0, second.Stop(TimeSpan.FromSeconds(15)));
        Assert.Contains("does not exist", lab.Host(1).TryExec(TimeSpan.FromSeconds(5), "ip", "link", "show", "flannel0").StandardError);
        string key = $"{OverlayLab.Prefix}/subnets/{OverlayLab.TunAddress(secondSubnet)}-24";
        Assert.Contains("198.18.0.2", lab.Etcd.Etcdctl("get", "--print-value-only", key));

        // Restart with the subnet file gone too: the lease carrying this host's public IP must win.
        File.Delete(second.SubnetFile);
        DaemonProcess restarted = lab.StartDaemon(1);
        Assert.Equal(secondSubnet, restarted.WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, OverlayLab.TunAddress(secondSubnet), TimeSpan.FromSeconds(15)).ExitCode);
        Assert.Equal(firstSubnet, File.ReadAllLines(first.SubnetFile)[1]["FLANNEL_SUBNET=".Length..]);
    }
}
