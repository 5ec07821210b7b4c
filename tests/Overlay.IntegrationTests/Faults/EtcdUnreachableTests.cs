using Overlay.TestKit;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// etcd out of reach for reasons only a network can give: no route to its address, an address that swallows
/// connection attempts, a host name that does not resolve. overlayd runs in a namespace whose only link leads to a
/// second namespace dropping TCP to port 2379, so no attempt leaves the two namespaces. Each daemon must name the
/// cause and the fix once, then keep retrying quietly.
/// </summary>
public sealed class EtcdUnreachableTests(ITestOutputHelper output)
{
    private const string Warning = "retrying quietly until this changes";

    /// <summary>Retries happen every second (each timeout attempt takes a few): a repeated warning would show by then.</summary>
    private static readonly TimeSpan s_retriesObserved = TimeSpan.FromSeconds(8);

    private static readonly (string Name, string Endpoint, string Cause)[] s_cases =
    [
        ("no-route", "https://198.18.99.1:2379", "no route to etcd's address"),
        ("timeout", "https://198.18.77.2:2379", "the TCP connection to etcd was not accepted in time"),
        ("unresolved", "https://etcd.invalid:2379", "the etcd host name does not resolve"),
    ];

    [PrivilegedFact]
    public void Each_unreachable_etcd_is_named_once_with_its_fix_and_retried_quietly()
    {
        using TestNamespace host = TestNamespace.Create("etcdcli");
        using TestNamespace sink = TestNamespace.Create("etcdsink");
        Tools.Run("ip", "-n", host.Name, "link", "add", "ovtu0", "type", "veth", "peer", "name", "ovtu1", "netns", sink.Name);
        host.Exec("ip", "addr", "add", "198.18.77.1/24", "dev", "ovtu0");
        host.Exec("ip", "link", "set", "ovtu0", "up");
        sink.Exec("ip", "addr", "add", "198.18.77.2/24", "dev", "ovtu1");
        sink.Exec("ip", "link", "set", "ovtu1", "up");
        // The sink answers ARP but never a SYN to etcd's port: a connect there hangs until the client gives up.
        sink.Exec("nft", "add", "table", "ip", "ovtsink");
        sink.Exec("nft", "add", "chain", "ip", "ovtsink", "in", "{ type filter hook input priority 0; }");
        sink.Exec("nft", "add", "rule", "ip", "ovtsink", "in", "tcp", "dport", "2379", "drop");
        string dir = Path.Combine(Path.GetTempPath(), $"ovt-unreach-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var daemons = new List<(string Name, string Cause, DaemonProcess Daemon)>();
        try
        {
            foreach ((string name, string endpoint, string cause) in s_cases)
            {
                daemons.Add((name, cause, DaemonProcess.Start(host, Path.Combine(dir, name + ".env"),
                    "-etcd-endpoints=" + endpoint, "-iface=ovtu0", "-admin-socket=")));
            }
            foreach ((string name, string cause, DaemonProcess daemon) in daemons)
            {
                Assert.True(daemon.WaitForOutput(cause, TimeSpan.FromSeconds(60)), $"{name}: overlayd never named the cause:\n{daemon.Output}");
            }
            Thread.Sleep(s_retriesObserved);

            foreach ((string name, string cause, DaemonProcess daemon) in daemons)
            {
                Assert.False(daemon.HasExited, $"{name}: overlayd retries an unreachable etcd forever, it exited:\n{daemon.Output}");
                string line = daemon.Output.Split('\n').Single(l => l.Contains(Warning, StringComparison.Ordinal));
                output.WriteLine($"{name}: {line[line.IndexOf("etcd at", StringComparison.Ordinal)..]}");
                Assert.Contains(cause, line, StringComparison.Ordinal);
                Assert.Contains("fix: ", line, StringComparison.Ordinal);
                Assert.Contains("-etcd-endpoints", line, StringComparison.Ordinal);
                Assert.DoesNotContain("plain text", daemon.Output, StringComparison.Ordinal);
            }
        }
        finally
        {
            foreach ((_, _, DaemonProcess daemon) in daemons)
            {
                daemon.Dispose();
            }
            Directory.Delete(dir, recursive: true);
        }
    }
}
