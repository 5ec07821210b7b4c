using Overlay.TestKit;
using Overlay.TestKit.Namespaces;

namespace Overlay.IntegrationTests;

/// <summary>
/// How the tests run overlayd and overlayctl: by default the builds copied next to the tests by the project
/// references (<c>dotnet overlayd.dll</c>); with <c>OVERLAY_OVERLAYD</c> or <c>OVERLAY_OVERLAYCTL</c> naming an
/// executable, that one instead, so the whole suite can run against a shipped binary (for example the one
/// extracted from the Debian package).
/// </summary>
internal sealed record OverlayBinaries(string Program, IReadOnlyList<string> Prefix)
{
    public const string DaemonVariable = "OVERLAY_OVERLAYD";

    public const string CtlVariable = "OVERLAY_OVERLAYCTL";

    public static OverlayBinaries Daemon { get; } = FromEnvironment(DaemonVariable, "overlayd.dll");

    public static OverlayBinaries Ctl { get; } = FromEnvironment(CtlVariable, "overlayctl.dll");

    /// <summary>An executable run directly, as a package installs it.</summary>
    public static OverlayBinaries Executable(string path) => new(path, []);

    /// <summary>Program first, then its arguments.</summary>
    public string[] CommandLine(params IEnumerable<string> args) => [Program, .. Prefix, .. args];

    public ToolResult TryRun(TimeSpan timeout, params string[] args) => Tools.TryRun(timeout, Program, [.. Prefix, .. args]);

    public ToolResult TryExec(TestNamespace ns, TimeSpan timeout, params string[] args) => ns.TryExec(timeout, Program, [.. Prefix, .. args]);

    private static OverlayBinaries FromEnvironment(string variable, string assembly)
    {
        string? path = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(path))
        {
            return new("dotnet", [Path.Combine(AppContext.BaseDirectory, assembly)]);
        }
        return File.Exists(path)
            ? Executable(Path.GetFullPath(path))
            : throw new FileNotFoundException($"{variable}={path} does not exist: point it at an executable or unset it", path);
    }
}
