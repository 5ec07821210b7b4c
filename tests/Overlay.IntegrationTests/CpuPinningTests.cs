using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>-cpus pins both forwarding threads of a queue to the CPU listed for it, and nothing else.</summary>
public sealed class CpuPinningTests
{
    [PrivilegedFact]
    public void Both_threads_of_the_queue_run_on_the_listed_cpu_and_forward()
    {
        // The CPUs this test may use (a cpuset or taskset may narrow them): the daemon inherits the same set.
        string ownCpus = CpusAllowed("/proc/self/status");
        string cpu = ownCpus.Split(',')[^1].Split('-')[^1];
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess pinned = lab.StartDaemon(0, "-queues=1", $"-cpus={cpu}");
        DaemonProcess free = lab.StartDaemon(1, "-queues=1");
        pinned.WaitForSubnet(TimeSpan.FromSeconds(30));
        string freeTun = OverlayLab.TunAddress(free.WaitForSubnet(TimeSpan.FromSeconds(30)));

        Assert.Equal(0, lab.PingUntilReply(0, freeTun, TimeSpan.FromSeconds(10)).ExitCode);

        Assert.True(pinned.WaitForOutput($"queue 0 on CPU {cpu}", TimeSpan.FromSeconds(10)), pinned.Output);
        Dictionary<string, string> allowed = CpusAllowedByThread(pinned.Pid);
        Assert.Equal(cpu, allowed["tun-to-udp-0"]);
        Assert.Equal(cpu, allowed["udp-to-tun-0"]);
        // The rest of the process (the control plane, the admin server) stays where the scheduler puts it.
        Assert.Equal(ownCpus, CpusAllowed($"/proc/{pinned.Pid}/task/{pinned.Pid}/status"));
        Assert.Equal(ownCpus, CpusAllowedByThread(free.Pid)["tun-to-udp-0"]);
        Assert.Equal(0, pinned.Stop(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, free.Stop(TimeSpan.FromSeconds(15)));
    }

    private static string CpusAllowed(string statusFile) =>
        File.ReadAllLines(statusFile).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();

    // Thread name -> its Cpus_allowed_list, e.g. "1" or "0-1".
    private static Dictionary<string, string> CpusAllowedByThread(int pid)
    {
        var allowed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                allowed.TryAdd(name, CpusAllowed(Path.Combine(task, "status")));
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }
        return allowed;
    }
}
