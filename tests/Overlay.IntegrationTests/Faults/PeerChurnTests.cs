using System.Diagnostics;
using System.Text;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>Twenty peers come and go in a few seconds while two daemons carry traffic between each other.</summary>
public sealed class PeerChurnTests(ITestOutputHelper output)
{
    private const int Peers = 20;
    private const int FirstOctet = 120;

    [PrivilegedFact]
    public void After_twenty_leases_churn_the_route_table_holds_exactly_the_live_leases_and_no_ping_is_lost()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 3);
        HandWrittenLeases.ConfineDaemons(lab);
        DaemonProcess[] daemons = [lab.StartDaemon(0), lab.StartDaemon(1)];
        string firstTun = OverlayLab.TunAddress(daemons[0].WaitForSubnet(TimeSpan.FromSeconds(30)));
        string secondTun = OverlayLab.TunAddress(daemons[1].WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
        string bare = HandWrittenLeases.BareHostAddress;

        using BackgroundPing traffic = BackgroundPing.Start(lab.Host(0), secondTun, count: 100, interval: 0.1);
        var churn = Stopwatch.StartNew();
        ToolResult churned = lab.Host(0).TryExec(TimeSpan.FromSeconds(60), "bash", "-c", ChurnScript(lab.Etcd.Endpoint, bare));
        churn.Stop();
        Assert.True(churned.ExitCode == 0, "the churn script failed: " + churned.StandardError);

        int[] live = [.. Enumerable.Range(0, Peers).Where(i => i % 4 is 0 or 3).Select(i => FirstOctet + i)];
        int[] gone = [.. Enumerable.Range(0, Peers).Where(i => i % 4 is 1 or 2).Select(i => FirstOctet + i)];
        Assert.True(Poll.Until(() => !HandWrittenLeases.Present(lab).Intersect(gone).Any(), TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250)),
            "the short etcd leases should have expired and taken their keys with them");
        Assert.Subset(HandWrittenLeases.Present(lab).ToHashSet(), live.ToHashSet());
        PingReport report = traffic.WaitForExit();
        output.WriteLine($"churn of {Peers} leases took {churn.Elapsed.TotalSeconds:0.0} s; " +
            $"pings sent {report.Transmitted}, received {report.Received}, lost {report.Lost}");
        Assert.True(report.Lost == 0, "daemon-to-daemon pings were lost during the churn:\n" + report.Output);

        // The last expiries left etcd a moment ago: give their delete events a second to reach both daemons. Then
        // routeless probes first: a probe that does reach the bare host draws an ICMP port-unreachable back to the
        // sender, which would blur the net-unreachable count the routeless probes rely on.
        Thread.Sleep(1000);
        foreach (int host in (int[])[0, 1])
        {
            foreach (int octet in gone)
            {
                Assert.True(lab.IsUnreachable(host, HandWrittenLeases.ProbeAddress(octet)),
                    $"h{host + 1} still routes 10.244.{octet}.0/24, which is gone from etcd:\n{daemons[host].Output}");
            }
        }
        foreach (int host in (int[])[0, 1])
        {
            foreach (int octet in live)
            {
                Assert.True(lab.ReachesBareHost(host, HandWrittenLeases.ProbeAddress(octet)),
                    $"h{host + 1} does not route 10.244.{octet}.0/24 to the bare host:\n{daemons[host].Output}");
            }
        }
        Assert.Equal(0, lab.Ping(1, firstTun, count: 3).ExitCode);
        Assert.All(daemons, d => Assert.False(d.HasExited, d.Output));
    }

    /// <summary>
    /// One bash script, so the changes follow each other as fast as etcdctl can make them. Each peer's fate by its
    /// index: 0 stays (on a long etcd lease), 1 flaps and ends deleted, 2 rides its own 3 s etcd lease and expires by
    /// itself (some during the churn), 3 moves from a host that does not exist to the bare host and stays.
    /// </summary>
    private static string ChurnScript(string endpoint, string bare)
    {
        string etcdctl = Tools.Find("etcdctl") ?? throw new InvalidOperationException("etcdctl not found: install Debian's etcd-client");
        var script = new StringBuilder();
        script.AppendLine("set -euo pipefail");
        script.AppendLine($"e() {{ ETCDCTL_API=3 {etcdctl} --endpoints {endpoint} --command-timeout=5s \"$@\" > /dev/null; }}");
        script.AppendLine($"grant() {{ ETCDCTL_API=3 {etcdctl} --endpoints {endpoint} --command-timeout=5s lease grant \"$1\" | cut -d' ' -f2; }}");
        script.AppendLine("long=$(grant 600)");
        string Put(int octet, string publicIp, string lease = "") =>
            $"e put {lease}{HandWrittenLeases.Key(octet)} '{HandWrittenLeases.Value(publicIp)}'";
        for (int i = 0; i < Peers; i++)
        {
            int octet = FirstOctet + i;
            script.AppendLine((i % 4) switch
            {
                0 => Put(octet, bare, "--lease=$long "),
                1 => Put(octet, bare),
                2 => Put(octet, bare, "--lease=$(grant 3) "),
                _ => Put(octet, "198.18.0.250"),
            });
        }
        for (int i = 0; i < Peers; i++)
        {
            int octet = FirstOctet + i;
            if (i % 4 == 1)
            {
                script.AppendLine($"e del {HandWrittenLeases.Key(octet)}");
                script.AppendLine(Put(octet, bare));
                script.AppendLine($"e del {HandWrittenLeases.Key(octet)}");
            }
            else if (i % 4 == 3)
            {
                script.AppendLine(Put(octet, bare));
            }
        }
        return script.ToString();
    }
}
