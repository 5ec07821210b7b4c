using System.Diagnostics;
using System.Net;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>Anyone on the underlay can send anything to UDP 8285: overlayd must count it, drop it and carry on.</summary>
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private const int PerKind = 4000;

    [PrivilegedFact]
    public void A_flood_of_malformed_datagrams_is_dropped_and_counted_by_reason_while_forwarding_carries_on()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 3);
        HandWrittenLeases.ConfineDaemons(lab);
        // The kernel gives a new TUN device an IPv6 link-local address and sends router solicitations and MLD
        // reports through it; overlayd counts those as NotIpv4 on the way out. Host 1 gets no IPv6, so every
        // NotIpv4 below comes from the flood.
        lab.Host(0).Exec("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1");
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1);
        string firstTun = OverlayLab.TunAddress(first.WaitForSubnet(TimeSpan.FromSeconds(30)));
        string secondTun = OverlayLab.TunAddress(second.WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);

        // Valid packets claim to come from an overlay address nobody leases and go to host 1's own flannel0 address.
        List<HostileDatagram> datagrams = new HostileDatagramFactory(seed: 8285, "10.244.250.7", firstTun).Build(PerKind);
        long kernelDropsBefore = lab.Snmp(0, "Udp", "InErrors");
        using BackgroundPing during = BackgroundPing.Start(lab.Host(0), secondTun, count: 40, interval: 0.1);
        Thread.Sleep(300);
        var flood = Stopwatch.StartNew();
        IReadOnlyDictionary<HostileKind, int> sent = NamespaceUdpSender.Send(lab.Host(HandWrittenLeases.BareHost).Name,
            new IPEndPoint(IPAddress.Parse(Underlay.HostAddress(0)), 8285), datagrams, burst: 16, timeout: TimeSpan.FromSeconds(20));
        flood.Stop();
        PingReport duringFlood = during.WaitForExit();
        // What the kernel dropped before overlayd could read it (a full socket buffer): the only excuse for a shortfall.
        long kernelDrops = lab.Snmp(0, "Udp", "InErrors") - kernelDropsBefore;

        Assert.False(first.HasExited, "overlayd died under the flood:\n" + first.Output);
        Assert.Contains(" 0% packet loss", lab.Ping(0, secondTun, count: 5).StandardOutput);
        Assert.Contains(" 0% packet loss", lab.Ping(1, firstTun, count: 5).StandardOutput);
        Assert.Equal(0, first.Stop(TimeSpan.FromSeconds(15)));
        ForwardingTotals totals = ForwardingTotals.Parse(first.Output);

        output.WriteLine($"sent in {flood.Elapsed.TotalSeconds:0.00} s: {string.Join(", ", sent.Select(p => $"{p.Key} {p.Value}"))}; kernel socket drops on host 1: {kernelDrops}");
        output.WriteLine($"pings during the flood: sent {duringFlood.Transmitted}, lost {duringFlood.Lost}");
        output.WriteLine("overlayd totals: " + totals);
        Assert.Equal(datagrams.Count, sent.Values.Sum());
        foreach (HostileKind kind in (HostileKind[])[HostileKind.TooShort, HostileKind.NotIpv4, HostileKind.BadHeaderLength, HostileKind.Truncated])
        {
            // Nothing else in this lab produces these drops, so each count is exact unless the kernel shed some first.
            Assert.InRange(totals["Dropped" + kind], sent[kind] - kernelDrops, sent[kind]);
        }
        // Host 3 holds no lease. A well-formed packet from it reaches flannel0 (as with flannel) or, with overlayd's
        // source check on, is dropped as UnknownSource; either way none goes missing and none counts as malformed.
        long validAccountedFor = totals["TunPacketsWritten"] + totals.All.GetValueOrDefault("DroppedUnknownSource");
        Assert.True(validAccountedFor >= sent[HostileKind.Valid] - kernelDrops,
            $"the well-formed packets of the flood are not accounted for: {totals}");
        Assert.True(duringFlood.Lost <= kernelDrops,
            $"overlayd itself lost pings during the flood ({duringFlood.Lost} lost, the kernel dropped {kernelDrops}):\n{duringFlood.Output}");
    }
}
