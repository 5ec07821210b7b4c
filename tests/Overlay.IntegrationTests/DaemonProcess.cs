using System.Diagnostics;
using System.Text;
using Overlay.TestKit.Namespaces;

namespace Overlay.IntegrationTests;

/// <summary>
/// One overlayd process started inside a test namespace, as a flannel user would start flanneld. Output is kept
/// for assertions and for failure messages; the process is stopped by its own PID.
/// </summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DaemonProcess(Process process, string subnetFile)
    {
        _process = process;
        SubnetFile = subnetFile;
    }

    public string SubnetFile { get; }

    public int Pid => _process.Id;

    /// <summary>
    /// True once the process has exited and its last output lines have been read: the process can be gone while the
    /// redirected output is still being drained, and a test that reads <see cref="Output"/> then sees it empty.
    /// </summary>
    public bool HasExited
    {
        get
        {
            if (!_process.HasExited)
            {
                return false;
            }

            _process.WaitForExit();
            return true;
        }
    }

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static DaemonProcess Start(TestNamespace ns, string subnetFile, params string[] flags) =>
        Start(OverlayBinaries.Daemon, ns, subnetFile, flags);

    /// <summary>Starts <paramref name="binary"/> (see <see cref="OverlayBinaries"/>) inside <paramref name="ns"/>.</summary>
    public static DaemonProcess Start(OverlayBinaries binary, TestNamespace ns, string subnetFile, params string[] flags) =>
        StartWrapped(binary, ns, subnetFile, [], flags);

    /// <summary>As <see cref="Start(OverlayBinaries, TestNamespace, string, string[])"/>, with <paramref name="wrapper"/> (a command and its arguments) run in the namespace in front of the daemon.</summary>
    public static DaemonProcess StartWrapped(OverlayBinaries binary, TestNamespace ns, string subnetFile, string[] wrapper, params string[] flags)
    {
        var info = new ProcessStartInfo("ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["netns", "exec", ns.Name, .. wrapper, .. binary.CommandLine([.. flags, "-subnet-file=" + subnetFile])])
        {
            info.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = info };
        var daemon = new DaemonProcess(process, subnetFile);
        process.OutputDataReceived += (_, e) => daemon.Append(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Runs overlayd to completion outside any namespace (for flag handling) and returns exit code and output.</summary>
    public static (int ExitCode, string Output) RunToExit(params string[] flags)
    {
        string[] command = OverlayBinaries.Daemon.CommandLine(flags);
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string flag in command.Skip(1))
        {
            info.ArgumentList.Add(flag);
        }
        using Process process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("overlayd did not exit within 30 s for: " + string.Join(' ', flags));
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Waits until the subnet file exists (forwarding is up) and returns its FLANNEL_SUBNET value.</summary>
    public string WaitForSubnet(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (HasExited)
            {
                throw new InvalidOperationException($"overlayd exited with {ExitCode} before writing {SubnetFile}:\n{Output}");
            }
            if (File.Exists(SubnetFile))
            {
                foreach (string line in File.ReadAllLines(SubnetFile))
                {
                    if (line.StartsWith("FLANNEL_SUBNET=", StringComparison.Ordinal))
                    {
                        return line["FLANNEL_SUBNET=".Length..];
                    }
                }
            }
            Thread.Sleep(50);
        }
        throw new TimeoutException($"overlayd did not write {SubnetFile} within {timeout.TotalSeconds} s:\n{Output}");
    }

    /// <summary>SIGTERM, then wait; returns the exit code. Kills after the timeout and reports that as a failure.</summary>
    public int Stop(TimeSpan timeout)
    {
        if (!HasExited)
        {
            using Process kill = Process.Start("kill", ["-TERM", Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
        }
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill();
            _process.WaitForExit();
            throw new TimeoutException($"overlayd did not stop within {timeout.TotalSeconds} s of SIGTERM:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; false when the timeout passes or the daemon exits first.</summary>
    public bool WaitForOutput(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (Output.Contains(text, StringComparison.Ordinal))
            {
                return true;
            }
            if (HasExited)
            {
                return Output.Contains(text, StringComparison.Ordinal);
            }
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>How many output lines contain <paramref name="text"/>.</summary>
    public int CountOutputLines(string text) =>
        Output.Split('\n').Count(line => line.Contains(text, StringComparison.Ordinal));

    /// <summary>Sends a signal by name (e.g. STOP, CONT) to this daemon's own PID.</summary>
    public void Signal(string name)
    {
        using Process kill = Process.Start("kill", ["-" + name, Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -{name} {Pid} exited {kill.ExitCode}");
        }
    }

    /// <summary>The names of the process's threads right now (/proc/PID/task/*/comm), sorted.</summary>
    public IReadOnlyList<string> ThreadNames()
    {
        var names = new List<string>();
        foreach (string task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
        {
            try
            {
                names.Add(File.ReadAllText(Path.Combine(task, "comm")).Trim());
            }
            catch (IOException)
            {
                // The thread ended between listing and reading.
            }
        }
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    public void Kill()
    {
        if (!HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
