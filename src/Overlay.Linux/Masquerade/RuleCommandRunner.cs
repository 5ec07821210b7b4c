using System.Diagnostics;

namespace Overlay.Linux.Masquerade;

/// <summary>
/// Runs iptables, iptables-restore and nft. This is the one place the project starts external programs: netfilter
/// rules have no stable kernel API short of nf_tables netlink, and flannel itself shells out the same way
/// (go-iptables, knftables). Every run is bounded by <see cref="MasqueradeOptions.CommandTimeout"/>.
/// </summary>
/// <remarks>Thread-safe: it holds no mutable state.</remarks>
internal sealed class RuleCommandRunner
{
    private static readonly string[] s_systemDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    private readonly IReadOnlyList<string> _prefix;
    private readonly TimeSpan _timeout;

    public RuleCommandRunner(IReadOnlyList<string> prefix, TimeSpan timeout)
    {
        _prefix = prefix;
        _timeout = timeout;
    }

    /// <summary>The absolute path of <paramref name="program"/> on PATH or in the usual sbin directories, or null.</summary>
    public static string? Locate(string program)
    {
        // A daemon started with a minimal PATH still finds /usr/sbin/iptables.
        IEnumerable<string> path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (string directory in path.Concat(s_systemDirectories))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs the program and returns whatever it exited with; throws only when it cannot be started or hangs.</summary>
    public CommandResult Run(string programPath, IReadOnlyList<string> arguments, string? standardInput = null)
    {
        var info = new ProcessStartInfo(_prefix.Count > 0 ? _prefix[0] : programPath)
        {
            RedirectStandardInput = standardInput is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string word in _prefix.Skip(1))
        {
            info.ArgumentList.Add(word);
        }
        if (_prefix.Count > 0)
        {
            info.ArgumentList.Add(programPath);
        }
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        string commandLine = string.Join(' ', info.ArgumentList.Prepend(info.FileName));

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("Process.Start returned null");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new MasqueradeException(commandLine, -1, e.Message, FixHints.ForMissingProgram(info.FileName));
        }
        using (process)
        {
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            if (standardInput is not null)
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }
            if (!process.WaitForExit(_timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(TimeSpan.FromSeconds(5));
                throw new MasqueradeException(commandLine, -1, $"no exit within {_timeout.TotalSeconds:0} s, killed",
                    "another process may hold the xtables lock (/run/xtables.lock) or the netlink socket is stuck; find it with 'fuser /run/xtables.lock'");
            }
            process.WaitForExit();
            return new CommandResult(commandLine, process.ExitCode, stdout.Result, stderr.Result.Trim());
        }
    }

    /// <summary>Runs the program and throws a <see cref="MasqueradeException"/> with a fix when it exits non-zero.</summary>
    public CommandResult RunChecked(string programPath, IReadOnlyList<string> arguments, string? standardInput = null)
    {
        CommandResult result = Run(programPath, arguments, standardInput);
        if (!result.Succeeded)
        {
            throw new MasqueradeException(result.CommandLine, result.ExitCode, result.StandardError, FixHints.ForFailure(result));
        }
        return result;
    }
}
