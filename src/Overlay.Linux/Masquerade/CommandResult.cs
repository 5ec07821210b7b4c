namespace Overlay.Linux.Masquerade;

/// <summary>What one external command returned.</summary>
internal readonly record struct CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}
