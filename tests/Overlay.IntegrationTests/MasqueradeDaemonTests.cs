using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>-ip-masq end to end: flannel's chains appear once overlayd forwards, come back after tampering, and leave on stop.</summary>
public sealed class MasqueradeDaemonTests
{
    [PrivilegedFact]
    public void Ip_masq_installs_flannels_rules_repairs_them_and_removes_them_on_stop()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 1);
        DaemonProcess daemon = lab.StartDaemon(0, "-ip-masq", "-iptables-resync=1");
        string subnet = daemon.WaitForSubnet(TimeSpan.FromSeconds(30));
        string node = subnet.Split('/')[0][..subnet.LastIndexOf('.')] + ".0/24";
        Assert.Contains("FLANNEL_IPMASQ=true", File.ReadAllText(daemon.SubnetFile));

        string rules = lab.Host(0).Exec("iptables", "-t", "nat", "-S", "FLANNEL-POSTRTG");
        Assert.Contains($"-s {node} -d {OverlayLab.Network} -m comment --comment \"flanneld masq\" -j RETURN", rules);
        Assert.Contains($"-s {OverlayLab.Network} ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE", rules);
        Assert.Contains("-j FLANNEL-POSTRTG", lab.Host(0).Exec("iptables", "-t", "nat", "-S", "POSTROUTING"));
        Assert.Contains($"-s {OverlayLab.Network}", lab.Host(0).Exec("iptables", "-t", "filter", "-S", "FLANNEL-FWD"));

        // An operator (or another tool) deletes the jump: the resync puts the whole set back.
        lab.Host(0).Exec("iptables", "-t", "nat", "-D", "POSTROUTING", "-m", "comment", "--comment", "flanneld masq", "-j", "FLANNEL-POSTRTG");
        Assert.True(daemon.WaitForOutput("masquerade rules were missing and have been rebuilt", TimeSpan.FromSeconds(10)), daemon.Output);
        Assert.Contains("-j FLANNEL-POSTRTG", lab.Host(0).Exec("iptables", "-t", "nat", "-S", "POSTROUTING"));

        Assert.Equal(0, daemon.Stop(TimeSpan.FromSeconds(15)));
        Assert.DoesNotContain("FLANNEL", lab.Host(0).Exec("iptables", "-t", "nat", "-S"));
        Assert.DoesNotContain("FLANNEL", lab.Host(0).Exec("iptables", "-t", "filter", "-S"));
    }
}
