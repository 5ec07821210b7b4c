namespace Overlay.TestKit;

/// <summary>The CPUs threads may run on, as the kernel reports them in /proc (Cpus_allowed_list, e.g. "1" or "0-1").</summary>
public static class ThreadCpus
{
    /// <summary>The Cpus_allowed_list of one status file: /proc/self/status, /proc/thread-self/status, /proc/PID/task/TID/status.</summary>
    public static string Allowed(string statusFile) =>
        File.ReadAllLines(statusFile).Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();

    /// <summary>Thread name -> its Cpus_allowed_list, for every thread of <paramref name="pid"/> (the first of a name).</summary>
    public static Dictionary<string, string> AllowedByThread(int pid)
    {
        var allowed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
                allowed.TryAdd(name, Allowed(Path.Combine(task, "status")));
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }
        return allowed;
    }
}
