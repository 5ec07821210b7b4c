using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// A daemon that cannot run on this host (its port, admin socket or health port held by another, its subnet file
/// unwritable, no TUN, no such interface) says why and exits 1 before it changes anything: no lease in etcd, no
/// device, no subnet file. A second overlayd started by mistake beside a running one is the common case.
/// </summary>
public sealed class StartupRefusalTests(ITestOutputHelper output)
{
    private const int HealthPort = 8473;

    /// <summary>Runs the daemon in a private mount namespace where /dev/net/tun is /dev/null: TUNSETIFF then fails.</summary>
    private static readonly string[] s_withoutTun = ["unshare", "-m", "sh", "-c", "mount --bind /dev/null /dev/net/tun && exec \"$@\"", "sh"];

    private sealed record Refusal(string Name, int BackendPort, string Expected, string[] Flags, string[]? Wrapper = null, string? SubnetFile = null);

    [PrivilegedFact]
    public void Each_refusal_names_its_cause_exits_1_and_leaves_no_lease_device_or_subnet_file()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 1);
        DaemonProcess running = lab.StartDaemon(0, $"-healthz-port={HealthPort}", "-healthz-ip=127.0.0.1");
        running.WaitForSubnet(TimeSpan.FromSeconds(30));
        string devicesBefore = Devices(lab);
        string work = Path.GetDirectoryName(running.SubnetFile)!;
        string plainFile = Path.Combine(work, "not-a-directory");
        File.WriteAllText(plainFile, "");

        Refusal[] refusals =
        [
            new("udp-port", 8285, "is in use by another process", []),
            new("admin-socket", 8300, "-admin-socket", ["-admin-socket=" + lab.AdminSocketFor(0)]),
            new("health-port", 8301, "-healthz-port", [$"-healthz-port={HealthPort}", "-healthz-ip=127.0.0.1"]),
            new("subnet-file", 8302, "-subnet-file", [], SubnetFile: Path.Combine(plainFile, "subnet.env")),
            new("no-tun", 8303, "no TUN device could be created", [], Wrapper: s_withoutTun),
            new("no-interface", 8304, "nosuch0", ["-iface=nosuch0"]),
        ];
        foreach (Refusal refusal in refusals)
        {
            string prefix = $"/refuse-{refusal.Name}/network";
            lab.Etcd.Etcdctl("put", prefix + "/config",
                "{\"Network\":\"" + OverlayLab.Network + "\",\"Backend\":{\"Type\":\"udp\",\"Port\":" + refusal.BackendPort + "}}");
            string subnetFile = refusal.SubnetFile ?? Path.Combine(work, $"refuse-{refusal.Name}.env");
            using DaemonProcess daemon = DaemonProcess.StartWrapped(OverlayBinaries.Daemon, lab.Host(0), subnetFile, refusal.Wrapper ?? [],
            [
                "-etcd-endpoints=" + lab.Etcd.Endpoint, "-etcd-prefix=" + prefix,
                refusal.Flags.Any(f => f.StartsWith("-iface=", StringComparison.Ordinal)) ? "-v=0" : "-iface=" + Overlay.TestKit.Namespaces.Underlay.InterfaceName,
                "-admin-socket=" + Path.Combine(work, $"refuse-{refusal.Name}.sock"), .. refusal.Flags,
            ]);

            Assert.True(Poll.Until(() => daemon.HasExited, TimeSpan.FromSeconds(30)), $"{refusal.Name}: still running:\n{daemon.Output}");
            string line = daemon.Output.Split('\n').LastOrDefault(l => l.Contains(refusal.Expected, StringComparison.Ordinal)) ?? "";
            output.WriteLine($"{refusal.Name}: exit {daemon.ExitCode}: {line.Trim()}");
            Assert.True(daemon.ExitCode == 1, $"{refusal.Name}: exit {daemon.ExitCode}:\n{daemon.Output}");
            Assert.True(line.Length > 0, $"{refusal.Name}: the reason ('{refusal.Expected}') was not given:\n{daemon.Output}");
            Assert.Equal("", lab.Etcd.Etcdctl("get", "--prefix", "--keys-only", prefix + "/subnets").Trim());
            Assert.DoesNotContain("lease acquired", daemon.Output);
            Assert.False(File.Exists(subnetFile), $"{refusal.Name}: {subnetFile} was written");
            Assert.Equal(devicesBefore, Devices(lab));
        }

        // The running daemon was not disturbed by any of them.
        Assert.False(running.HasExited, running.Output);
        Assert.Equal(0, running.Stop(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public void A_flanneld_flag_overlayd_does_not_implement_says_which_mode_it_belongs_to_and_exits_2()
    {
        (int exitCode, string text) = DaemonProcess.RunToExit("-kube-subnet-mgr");
        Assert.Equal(2, exitCode);
        Assert.Contains("-kube-subnet-mgr is a flanneld flag that overlayd does not support", text);
        Assert.Contains("Kubernetes subnet manager mode", text);
        Assert.Contains("etcd", text);
        Assert.Contains("What is not supported", text);
        Assert.DoesNotContain("Usage:", text);
    }

    /// <summary>The host's links by name, without the counters that change as traffic flows.</summary>
    private static string Devices(OverlayLab lab) =>
        string.Join(",", lab.Host(0).Exec("ip", "-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':')[1].Trim()).Order(StringComparer.Ordinal));
}
