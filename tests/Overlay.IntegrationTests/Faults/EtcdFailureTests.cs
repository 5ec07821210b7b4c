using System.Net;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>etcd killed and restarted, then history compacted past the daemons' watch, with no daemon restart.</summary>
public sealed class EtcdFailureTests(ITestOutputHelper output)
{
    private const int RelayPort = 2479;

    private static readonly TimeSpan s_convergence = TimeSpan.FromSeconds(15);

    [PrivilegedFact]
    public void Routes_follow_etcd_through_a_restart_and_through_a_compaction_past_the_watch_revision()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 3);
        HandWrittenLeases.ConfineDaemons(lab);
        // The daemons reach etcd through a relay that can be cut (see part 2); etcdctl talks to etcd directly.
        using EtcdRelay relay = EtcdRelay.Start(lab.Host(0).Name,
            new IPEndPoint(IPAddress.Parse(Underlay.HostAddress(0)), RelayPort), new IPEndPoint(IPAddress.Parse(Underlay.HostAddress(0)), lab.Etcd.ClientPort));
        DaemonProcess[] daemons = [lab.StartDaemon(0, "-etcd-endpoints=" + relay.Endpoint), lab.StartDaemon(1, "-etcd-endpoints=" + relay.Endpoint)];
        string firstTun = OverlayLab.TunAddress(daemons[0].WaitForSubnet(TimeSpan.FromSeconds(30)));
        string secondTun = OverlayLab.TunAddress(daemons[1].WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
        string bare = HandWrittenLeases.BareHostAddress;

        // 1. etcd dies and comes back; a lease written afterwards (with an etcd lease, as flanneld writes it) must arrive.
        lab.Etcd.Stop();
        Thread.Sleep(3000);
        lab.Etcd.Start();
        HandWrittenLeases.Put(lab, 110, bare, lab.Etcd.GrantLease(600));
        AssertReachableFromBoth(110, "a lease written after etcd came back");
        foreach (DaemonProcess daemon in daemons)
        {
            Assert.True(daemon.WaitForOutput("etcd regained", TimeSpan.FromSeconds(10)), daemon.Output);
        }

        // 2. Compaction past the watch. A live watch never meets compaction: etcd streams each event as it happens,
        // so the daemon is always at the head. The daemon must instead come back from an interruption to find its
        // revision gone. Cutting the relay closes the daemons' streams and refuses their reconnects while etcd
        // stays up; the changes and the compaction happen meanwhile, so on restore each daemon resumes from a
        // revision below the compacted one. The "was compacted" log lines prove the compaction hit the watch.
        HandWrittenLeases.Put(lab, 111, bare);
        AssertReachableFromBoth(111, "a lease written before the cut");
        relay.Cut();
        HandWrittenLeases.Delete(lab, 111);
        HandWrittenLeases.Put(lab, 112, bare);
        HandWrittenLeases.Put(lab, 113, bare);
        HandWrittenLeases.Delete(lab, 113);
        HandWrittenLeases.Put(lab, 114, "198.18.0.250");
        HandWrittenLeases.Put(lab, 114, bare);
        for (int i = 0; i < 5; i++)
        {
            lab.Etcd.Etcdctl("put", $"/fault-filler/{i}", "x");
        }
        long compacted = lab.Etcd.Compact();
        output.WriteLine($"compacted at revision {compacted} while the daemons were cut off");
        relay.Restore();

        foreach (DaemonProcess daemon in daemons)
        {
            Assert.True(daemon.WaitForOutput("peer watch must resync: revision", s_convergence),
                "the peer watch should have resumed from a compacted revision and listed again:\n" + daemon.Output);
            Assert.Contains("was compacted", daemon.Output);
        }
        HandWrittenLeases.Put(lab, 115, bare);

        foreach (int host in (int[])[0, 1])
        {
            Assert.True(lab.BecomesUnreachable(host, HandWrittenLeases.ProbeAddress(111), s_convergence),
                $"h{host + 1} still routes 10.244.111.0/24, deleted before the compaction:\n{daemons[host].Output}");
            Assert.True(lab.IsUnreachable(host, HandWrittenLeases.ProbeAddress(113)),
                $"h{host + 1} routes 10.244.113.0/24, added and deleted before the compaction:\n{daemons[host].Output}");
        }
        AssertReachableFromBoth(110, "a lease untouched by the compaction");
        AssertReachableFromBoth(112, "a lease added before the compaction");
        AssertReachableFromBoth(114, "a lease moved to the bare host before the compaction");
        AssertReachableFromBoth(115, "a lease added after the watch resumed");

        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal(0, lab.PingUntilReply(1, firstTun, TimeSpan.FromSeconds(10)).ExitCode);
        foreach (DaemonProcess daemon in daemons)
        {
            Assert.False(daemon.HasExited, daemon.Output);
            output.WriteLine(string.Join('\n', daemon.Output.Split('\n').Where(l => l.Contains("PeerWatcher", StringComparison.Ordinal))));
        }

        void AssertReachableFromBoth(int thirdOctet, string what)
        {
            foreach (int host in (int[])[0, 1])
            {
                Assert.True(lab.BecomesReachable(host, HandWrittenLeases.ProbeAddress(thirdOctet), s_convergence),
                    $"{what} (10.244.{thirdOctet}.0/24) never became a route on h{host + 1}:\n{daemons[host].Output}");
            }
        }
    }
}
