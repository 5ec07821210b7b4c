using Overlay.TestKit;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>-cpus pins both forwarding threads of a queue to the CPU listed for it, and nothing else.</summary>
public sealed class CpuPinningTests
{
    [PrivilegedFact]
    public void Both_threads_of_the_queue_run_on_the_listed_cpu_and_forward()
    {
        // The CPUs this test may use (a cpuset or taskset may narrow them): the daemon inherits the same set.
        string ownCpus = ThreadCpus.Allowed("/proc/self/status");
        string cpu = ownCpus.Split(',')[^1].Split('-')[^1];
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess pinned = lab.StartDaemon(0, "-queues=1", $"-cpus={cpu}");
        DaemonProcess free = lab.StartDaemon(1, "-queues=1", "-pin-when-light=false");
        pinned.WaitForSubnet(TimeSpan.FromSeconds(30));
        string freeTun = OverlayLab.TunAddress(free.WaitForSubnet(TimeSpan.FromSeconds(30)));

        Assert.Equal(0, lab.PingUntilReply(0, freeTun, TimeSpan.FromSeconds(10)).ExitCode);

        Assert.True(pinned.WaitForOutput($"queue 0 on CPU {cpu}", TimeSpan.FromSeconds(10)), pinned.Output);
        Dictionary<string, string> allowed = ThreadCpus.AllowedByThread(pinned.Pid);
        Assert.Equal(cpu, allowed["tun-to-udp-0"]);
        Assert.Equal(cpu, allowed["udp-to-tun-0"]);
        // The rest of the process (the control plane, the admin server) stays where the scheduler puts it.
        Assert.Equal(ownCpus, ThreadCpus.Allowed($"/proc/{pinned.Pid}/task/{pinned.Pid}/status"));
        Assert.Equal(ownCpus, ThreadCpus.AllowedByThread(free.Pid)["tun-to-udp-0"]);
        Assert.Equal(0, pinned.Stop(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, free.Stop(TimeSpan.FromSeconds(15)));
    }
}
