using System.Diagnostics;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// An unusable network config in etcd: like flanneld, overlayd waits and retries every second without exiting, says
/// once what is wrong (naming the field), claims no subnet meanwhile, and proceeds as soon as the config is fixed.
/// </summary>
public sealed class BadConfigurationTests(ITestOutputHelper output)
{
    private const string Rejected = "network config rejected, field ";

    /// <summary>Retries happen every second: this long after the first complaint, a repeated line would show.</summary>
    private static readonly TimeSpan s_retriesObserved = TimeSpan.FromSeconds(3.5);

    /// <summary>Each case runs under its own etcd prefix, named after it.</summary>
    private static readonly (string Name, string Json, string Field)[] s_cases =
    [
        ("network-missing", """{"Backend":{"Type":"udp"}}""", "Network"),
        ("subnetlen-31", """{"Network":"10.244.0.0/16","SubnetLen":31}""", "SubnetLen"),
        // A /16 holds only two /17s; flannel wants room for at least four subnets.
        ("subnetlen-too-large-for-network", """{"Network":"10.244.0.0/16","SubnetLen":17}""", "SubnetLen"),
        ("subnetmin-outside-network", """{"Network":"10.244.0.0/16","SubnetMin":"10.245.1.0"}""", "SubnetMin"),
        ("subnetmax-misaligned", """{"Network":"10.244.0.0/16","SubnetMax":"10.244.200.7"}""", "SubnetMax"),
        ("backend-vxlan", """{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}""", "Backend.Type"),
        ("backend-port-70000", """{"Network":"10.244.0.0/16","Backend":{"Type":"udp","Port":70000}}""", "Backend.Port"),
        ("ipv4-disabled", """{"Network":"10.244.0.0/16","EnableIPv4":false}""", "EnableIPv4"),
        ("not-json", """{"Network": "10.244.0.0/16",""", "config"),
    ];

    [PrivilegedFact]
    public void Each_invalid_config_is_reported_once_by_field_claims_no_subnet_and_a_fixed_config_proceeds()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 1);
        var daemons = new Dictionary<string, DaemonProcess>();
        foreach ((string name, string json, _) in s_cases)
        {
            lab.Etcd.Etcdctl("put", PrefixOf(name) + "/config", json);
            daemons[name] = lab.StartDaemon(0, "-etcd-prefix=" + PrefixOf(name));
        }

        foreach ((string name, _, _) in s_cases)
        {
            Assert.True(daemons[name].WaitForOutput(Rejected, TimeSpan.FromSeconds(60)),
                $"{name}: overlayd never said what is wrong with the config:\n{daemons[name].Output}");
        }
        Thread.Sleep(s_retriesObserved);

        foreach ((string name, _, string field) in s_cases)
        {
            DaemonProcess daemon = daemons[name];
            Assert.False(daemon.HasExited, $"{name}: flanneld retries a bad config forever, overlayd exited:\n{daemon.Output}");
            Assert.Equal(1, daemon.CountOutputLines(Rejected));
            string line = daemon.Output.Split('\n').Single(l => l.Contains(Rejected, StringComparison.Ordinal));
            output.WriteLine($"{name}: {line[line.IndexOf(Rejected, StringComparison.Ordinal)..]}");
            Assert.Contains(Rejected + field + ": " + field, line);
            Assert.Equal("", lab.Etcd.Etcdctl("get", "--prefix", "--keys-only", PrefixOf(name) + "/subnets").Trim());
        }
        Assert.DoesNotContain("/subnets/", lab.Etcd.Etcdctl("get", "--prefix", "--keys-only", "/"));
        Assert.False(File.Exists(lab.SubnetFileFor(0)), "no daemon may write a subnet file without a valid config");

        // Fix one: the daemon already running picks it up on its next retry and carries on to a lease.
        const string fixedCase = "subnetlen-31";
        foreach ((string name, DaemonProcess daemon) in daemons.Where(d => d.Key != fixedCase))
        {
            daemon.Kill();
        }
        var clock = Stopwatch.StartNew();
        lab.Etcd.Etcdctl("put", PrefixOf(fixedCase) + "/config", """{"Network":"10.244.0.0/16","SubnetLen":24}""");
        string subnet = daemons[fixedCase].WaitForSubnet(TimeSpan.FromSeconds(30));
        output.WriteLine($"{fixedCase}: fixed config to subnet file in {clock.Elapsed.TotalSeconds:0.0} s ({subnet})");
        string key = $"{PrefixOf(fixedCase)}/subnets/{OverlayLab.TunAddress(subnet)}-24";
        Assert.Equal("""{"PublicIP":"198.18.0.1","PublicIPv6":null}""", lab.Etcd.Etcdctl("get", "--print-value-only", key).Trim());
        Assert.Equal(1, daemons[fixedCase].CountOutputLines(Rejected));
    }

    private static string PrefixOf(string name) => $"/fault-{name}/network";
}
