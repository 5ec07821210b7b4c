using Overlay.IntegrationTests.Faults;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests;

/// <summary>
/// This host's lease key is lost while the daemon runs. When another host's value takes the subnet, everything
/// derived from the lease moves to the new subnet together; when the subnet is still free, the same lease comes back
/// and nothing moves.
/// </summary>
public sealed class LeaseMoveTests(ITestOutputHelper output)
{
    private const int HealthPort = 8472;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [PrivilegedFact]
    public void A_subnet_taken_by_another_host_moves_address_rules_subnet_file_and_reported_subnet_together()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 1);
        DaemonProcess daemon = lab.StartDaemon(0, "-ip-masq", "-iptables-resync=1", $"-healthz-port={HealthPort}", "-healthz-ip=127.0.0.1");
        string oldSubnet = SubnetOf(daemon.WaitForSubnet(s_timeout));
        string oldAddress = oldSubnet.Split('/')[0];
        Assert.Contains($"-s {oldSubnet} -d {OverlayLab.Network}", MasqueradeRules(lab));

        // Another host's flanneld writes its own value at this host's key: the subnet now belongs to 198.18.0.99.
        lab.Etcd.Etcdctl("put", KeyOf(oldSubnet), """{"PublicIP":"198.18.0.99","PublicIPv6":null}""");

        Assert.True(daemon.WaitForOutput("pods on this host still hold addresses of the old subnet", s_timeout), daemon.Output);
        string newSubnet = SubnetOf(ReadFlannelSubnet(daemon.SubnetFile));
        output.WriteLine($"lease moved from {oldSubnet} to {newSubnet}");
        Assert.NotEqual(oldSubnet, newSubnet);
        string newAddress = newSubnet.Split('/')[0];

        // etcd: the new lease is this host's; the old key still names the other host.
        Assert.Contains("198.18.0.1", lab.Etcd.Etcdctl("get", "--print-value-only", KeyOf(newSubnet)));
        Assert.Contains("198.18.0.99", lab.Etcd.Etcdctl("get", "--print-value-only", KeyOf(oldSubnet)));

        // The device: only the new /32 is left.
        string addresses = lab.Host(0).Exec("ip", "-4", "-o", "addr", "show", "dev", "flannel0");
        Assert.Contains($"inet {newAddress}/32", addresses);
        Assert.DoesNotContain($"inet {oldAddress}/32", addresses);

        // The masquerade rules exempt the new subnet, not the old one.
        string rules = MasqueradeRules(lab);
        Assert.Contains($"-s {newSubnet} -d {OverlayLab.Network}", rules);
        Assert.DoesNotContain($"-s {oldSubnet} ", rules);

        // subnet.env is complete and names the new subnet; no temporary file is left beside it.
        string env = File.ReadAllText(daemon.SubnetFile);
        Assert.Equal($"FLANNEL_NETWORK={OverlayLab.Network}\nFLANNEL_SUBNET={FirstHost(newSubnet)}\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=true\n", env);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(daemon.SubnetFile)!, "." + Path.GetFileName(daemon.SubnetFile))));

        // What operators see: /metrics and overlayctl routes name the new subnet as this host's.
        string metrics = lab.HttpGet(0, HealthPort, "/metrics");
        Assert.Contains($"overlay_lease_info{{subnet=\"{newSubnet}\"}} 1", metrics);
        Assert.DoesNotContain($"subnet=\"{oldSubnet}\"", metrics);
        ToolResult routes = OverlayBinaries.Ctl.TryExec(lab.Host(0), s_timeout, "-socket", lab.AdminSocketFor(0),
            "-etcd-endpoints", lab.Etcd.Endpoint, "routes");
        Assert.True(routes.ExitCode == 0, routes.StandardOutput + routes.StandardError);
        Assert.Matches($@"{newSubnet.Replace(".", "\\.", StringComparison.Ordinal)}\s+-\s+198\.18\.0\.1\s+this host", routes.StandardOutput);

        // The error is said once, at error level, and the daemon goes on forwarding.
        Assert.Equal(1, daemon.CountOutputLines("pods on this host still hold addresses of the old subnet"));
        Assert.Contains("fail: ", daemon.Output.Split('\n').Single(l => l.Contains("pods on this host still hold", StringComparison.Ordinal)));
        Assert.False(daemon.HasExited, daemon.Output);
        Assert.Equal(0, daemon.Stop(s_timeout));
    }

    [PrivilegedFact]
    public void A_deleted_lease_whose_subnet_is_still_free_comes_back_with_the_same_subnet_and_nothing_moves()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 1);
        DaemonProcess daemon = lab.StartDaemon(0);
        string subnet = SubnetOf(daemon.WaitForSubnet(s_timeout));
        string envBefore = File.ReadAllText(daemon.SubnetFile);
        DateTime writtenBefore = File.GetLastWriteTimeUtc(daemon.SubnetFile);

        lab.Etcd.Etcdctl("del", KeyOf(subnet));

        Assert.True(daemon.WaitForOutput($"lease {subnet} re-created: the same subnet was still free", s_timeout), daemon.Output);
        Assert.True(Poll.Until(() => lab.Etcd.Etcdctl("get", "--print-value-only", KeyOf(subnet)).Contains("198.18.0.1", StringComparison.Ordinal),
            s_timeout, TimeSpan.FromMilliseconds(100)), "the lease key did not come back");
        Assert.Equal(envBefore, File.ReadAllText(daemon.SubnetFile));
        Assert.Equal(writtenBefore, File.GetLastWriteTimeUtc(daemon.SubnetFile));
        Assert.Contains($"inet {subnet.Split('/')[0]}/32", lab.Host(0).Exec("ip", "-4", "-o", "addr", "show", "dev", "flannel0"));
        Assert.DoesNotContain("lease moved", daemon.Output);
        Assert.Equal(0, daemon.Stop(s_timeout));
    }

    private static string MasqueradeRules(OverlayLab lab) => lab.Host(0).Exec("iptables", "-t", "nat", "-S", "FLANNEL-POSTRTG");

    private static string KeyOf(string subnet) => $"{OverlayLab.Prefix}/subnets/{subnet.Replace('/', '-')}";

    /// <summary>10.244.7.1/24 (FLANNEL_SUBNET) as the lease's subnet, 10.244.7.0/24.</summary>
    private static string SubnetOf(string flannelSubnet) => $"{OverlayLab.TunAddress(flannelSubnet)}/{flannelSubnet.Split('/')[1]}";

    private static string FirstHost(string subnet)
    {
        string network = subnet.Split('/')[0];
        return $"{network[..network.LastIndexOf('.')]}.1/{subnet.Split('/')[1]}";
    }

    private static string ReadFlannelSubnet(string path) =>
        File.ReadAllLines(path).Single(l => l.StartsWith("FLANNEL_SUBNET=", StringComparison.Ordinal))["FLANNEL_SUBNET=".Length..];
}
