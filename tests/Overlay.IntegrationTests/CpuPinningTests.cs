using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>-cpus pins both forwarding threads of a queue to the CPU listed for it, and nothing else.</summary>
public sealed class CpuPinningTests
{
    [PrivilegedFact]
    public void Both_threads_of_the_queue_run_on_the_listed_cpu_and_forward()
    {
        string cpu = File.ReadAllText("/sys/devices/system/cpu/online").Trim().Split(',')[^1].Split('-')[^1];
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
        string mainThread = File.ReadAllLines($"/proc/{pinned.Pid}/task/{pinned.Pid}/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllText("/sys/devices/system/cpu/online").Trim(), mainThread.Split(':')[1].Trim());
        Assert.NotEqual(cpu, CpusAllowedByThread(free.Pid)["tun-to-udp-0"]);
        Assert.Equal(0, pinned.Stop(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, free.Stop(TimeSpan.FromSeconds(15)));
    }

    // Thread name -> its Cpus_allowed_list, e.g. "1" or "0-1".
    private static Dictionary<string, string> CpusAllowedByThread(int pid)
    {
        var allowed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                string line = File.ReadAllLines(Path.Combine(task, "status")).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
                allowed.TryAdd(name, line.Split(':')[1].Trim());
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }
        return allowed;
    }
}
