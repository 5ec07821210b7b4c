using System.Diagnostics;
using System.Globalization;
using System.Text;
using Overlay.TestKit;
using Overlay.TestKit.Namespaces;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// <c>ping -D</c> running in a host namespace while a test does something else, bounded by ping's own deadline.
/// Stopped by its own PID (<c>ip netns exec</c> execs ping in place).
/// </summary>
internal sealed class BackgroundPing : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TimeSpan _deadline;

    private BackgroundPing(Process process, TimeSpan deadline)
    {
        _process = process;
        _deadline = deadline;
    }

    /// <summary>Starts <paramref name="count"/> echo requests, one every <paramref name="interval"/> seconds.</summary>
    public static BackgroundPing Start(TestNamespace from, string address, int count, double interval)
    {
        var deadline = TimeSpan.FromSeconds(Math.Ceiling(count * interval) + 5);
        var info = new ProcessStartInfo(Tools.Find("ip") ?? "ip")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["netns", "exec", from.Name, "ping", "-D", "-n", "-c", count.ToString(CultureInfo.InvariantCulture),
            "-i", interval.ToString(CultureInfo.InvariantCulture), "-W", "1",
            "-w", deadline.TotalSeconds.ToString(CultureInfo.InvariantCulture), address])
        {
            info.ArgumentList.Add(arg);
        }
        var process = new Process { StartInfo = info };
        var ping = new BackgroundPing(process, deadline);
        process.OutputDataReceived += (_, e) => ping.Append(e.Data);
        process.ErrorDataReceived += (_, e) => ping.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return ping;
    }

    /// <summary>Waits for ping to send all its requests and collect the replies, then reports.</summary>
    public PingReport WaitForExit()
    {
        if (!_process.WaitForExit(_deadline + TimeSpan.FromSeconds(5)))
        {
            Kill();
            throw new TimeoutException("ping outlived its own deadline:\n" + Output);
        }
        _process.WaitForExit();
        return PingReport.Parse(Output);
    }

    /// <summary>SIGINT (ping prints its summary and exits), then reports. The request in flight may count as lost.</summary>
    public PingReport Interrupt()
    {
        if (!_process.HasExited)
        {
            Tools.TryRun(TimeSpan.FromSeconds(5), "kill", "-INT", _process.Id.ToString(CultureInfo.InvariantCulture));
        }
        return WaitForExit();
    }

    private string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
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

    private void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
