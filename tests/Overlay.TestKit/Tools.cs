using System.Diagnostics;

namespace Overlay.TestKit;

/// <summary>Runs the external programs tests lean on (ip, etcdctl, ping) with a bounded wait.</summary>
public static class Tools
{
    private static readonly string[] s_searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    public static string? Find(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(s_searchPath))
        {
            string candidate = Path.Combine(dir, program);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs a program to completion and returns its stdout; throws with stderr when it fails.</summary>
    public static string Run(string program, params string[] args) => RunWithTimeout(TimeSpan.FromSeconds(30), program, args);

    public static string RunWithTimeout(TimeSpan timeout, string program, params string[] args)
    {
        ToolResult result = TryRun(timeout, program, args);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{program} {string.Join(' ', args)}' exited {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        }
        return result.StandardOutput;
    }

    public static ToolResult TryRun(TimeSpan timeout, string program, params string[] args)
    {
        var info = new ProcessStartInfo(Find(program) ?? program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {program}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            return new ToolResult(-1, stdout.Result, $"timed out after {timeout.TotalSeconds:0.#} s. " + stderr.Result);
        }
        return new ToolResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError);
