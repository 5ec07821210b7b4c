namespace Overlay.Linux.Masquerade;

/// <summary>
/// An iptables, iptables-restore or nft invocation failed. The message names the command line, its exit code, what
/// it printed on stderr and what the operator can do about it.
/// </summary>
public sealed class MasqueradeException : Exception
{
    public MasqueradeException(string command, int exitCode, string standardError, string fix)
        : base($"'{command}' exited {exitCode}: {(standardError.Length == 0 ? "(no stderr)" : standardError)}. Fix: {fix}")
    {
        Command = command;
        ExitCode = exitCode;
        StandardError = standardError;
        Fix = fix;
    }

    /// <summary>The full command line, including any namespace prefix.</summary>
    public string Command { get; }

    /// <summary>The exit code, or -1 when the program could not be started or timed out.</summary>
    public int ExitCode { get; }

    public string StandardError { get; }

    /// <summary>A one-line remedy for the operator.</summary>
    public string Fix { get; }
}
