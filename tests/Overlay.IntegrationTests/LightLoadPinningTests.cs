using System.Diagnostics;
using System.Globalization;
using Overlay.DataPlane.Forwarding;
using Overlay.Linux;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>
/// -pin-when-light (the default): a queue's two forwarding threads share one CPU while traffic is light, get every
/// CPU back under a TCP stream, and share again when it ends; -pin-when-light=false never moves them.
/// </summary>
public sealed class LightLoadPinningTests
{
    private const string Colocated = "forwarding threads share a CPU";
    private const string Spread = "forwarding threads spread over every CPU";

    [PrivilegedFact]
    public void Threads_share_a_cpu_when_light_and_spread_under_a_tcp_stream()
    {
        string ownCpus = ThreadCpus.Allowed("/proc/self/status");
        IReadOnlyList<int> allowed = CpuAffinity.AllowedCpus();
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess adaptive = lab.StartDaemon(0, "-queues=1", "-v=1");
        DaemonProcess fixedPlacement = lab.StartDaemon(1, "-queues=1", "-pin-when-light=false");
        adaptive.WaitForSubnet(TimeSpan.FromSeconds(30));
        string peerTun = OverlayLab.TunAddress(fixedPlacement.WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, peerTun, TimeSpan.FromSeconds(10)).ExitCode);

        if (allowed.Count < 2)
        {
            // One CPU: nothing to choose between, so the daemon leaves its threads alone and says nothing.
            Assert.Equal(0, lab.Ping(0, peerTun).ExitCode);
            Assert.DoesNotContain("-pin-when-light", adaptive.Output, StringComparison.Ordinal);
            Assert.Equal(ownCpus, ThreadCpus.AllowedByThread(adaptive.Pid)["tun-to-udp-0"]);
            Assert.Equal(0, adaptive.Stop(TimeSpan.FromSeconds(15)));
            return;
        }

        string cpu = ColocationCpus.For(allowed, 0xC612_0001, 0).ToString(CultureInfo.InvariantCulture);
        Assert.True(adaptive.WaitForOutput($"(-pin-when-light): queue 0 on CPU {cpu}", TimeSpan.FromSeconds(5)), adaptive.Output);
        Assert.True(adaptive.WaitForOutput(Colocated, TimeSpan.FromSeconds(10)), adaptive.Output);
        AssertBothThreads(adaptive, cpu);
        Assert.Equal(0, lab.Ping(0, peerTun, count: 5).ExitCode);
        // The rest of the daemon, and a daemon told not to, keep every CPU.
        Assert.Equal(ownCpus, ThreadCpus.Allowed($"/proc/{adaptive.Pid}/task/{adaptive.Pid}/status"));
        AssertBothThreads(fixedPlacement, ownCpus);

        using (IperfServer.Start(lab.Host(1), peerTun))
        {
            using Process client = Process.Start(new ProcessStartInfo(
                "ip", ["netns", "exec", lab.Host(0).Name, "timeout", "20", "iperf3", "-c", peerTun, "-t", "6"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            try
            {
                // The threads move before the line is logged; the kernel's view is what counts.
                Assert.True(adaptive.WaitForOutput(Spread, TimeSpan.FromSeconds(6)), adaptive.Output);
                Assert.True(SpinWait.SpinUntil(() => BothThreadsOn(adaptive, ownCpus), TimeSpan.FromSeconds(2)), adaptive.Output);
                Assert.True(client.WaitForExit(TimeSpan.FromSeconds(20)), "iperf3 did not finish");
                Assert.Equal(0, client.ExitCode);
            }
            finally
            {
                if (!client.HasExited)
                {
                    client.Kill(entireProcessTree: true);
                }
                client.WaitForExit();
            }
        }

        // Light again once the stream is over: the threads share the CPU again, and the log says so (it is written
        // from a queue, after the move).
        Assert.True(SpinWait.SpinUntil(() => BothThreadsOn(adaptive, cpu), TimeSpan.FromSeconds(10)), adaptive.Output);
        Assert.True(SpinWait.SpinUntil(() => adaptive.CountOutputLines(Colocated) >= 2, TimeSpan.FromSeconds(5)), adaptive.Output);
        AssertBothThreads(fixedPlacement, ownCpus);
        Assert.Equal(0, adaptive.Stop(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, fixedPlacement.Stop(TimeSpan.FromSeconds(15)));
        Assert.DoesNotContain("could not move", adaptive.Output, StringComparison.Ordinal);
    }

    private static bool BothThreadsOn(DaemonProcess daemon, string cpus)
    {
        Dictionary<string, string> allowed = ThreadCpus.AllowedByThread(daemon.Pid);
        return allowed["tun-to-udp-0"] == cpus && allowed["udp-to-tun-0"] == cpus;
    }

    private static void AssertBothThreads(DaemonProcess daemon, string cpus)
    {
        Dictionary<string, string> allowed = ThreadCpus.AllowedByThread(daemon.Pid);
        Assert.Equal(cpus, allowed["tun-to-udp-0"]);
        Assert.Equal(cpus, allowed["udp-to-tun-0"]);
    }
}
