namespace Overlay.Deploy.Tests.Support;

/// <summary>One Dockerfile instruction: its keyword in upper case, its arguments as words, and the line it starts on.</summary>
/// <param name="IsExecForm">The arguments were a JSON array (run without a shell), not shell words.</param>
internal sealed record DockerInstruction(string Keyword, IReadOnlyList<string> Arguments, bool IsExecForm, int Line);
