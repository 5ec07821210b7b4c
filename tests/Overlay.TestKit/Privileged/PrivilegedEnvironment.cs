namespace Overlay.TestKit.Privileged;

/// <summary>What a privileged test needs from the machine, checked once per test run.</summary>
public static class PrivilegedEnvironment
{
    private static readonly Lazy<string?> s_missing = new(Probe);

    /// <summary>True when CI asked for every privileged test to run (<c>OVERLAY_REQUIRE_PRIVILEGED=1</c>).</summary>
    public static bool Required => Environment.GetEnvironmentVariable("OVERLAY_REQUIRE_PRIVILEGED") == "1";

    /// <summary>Null when privileged tests can run here; otherwise why not.</summary>
    public static string? MissingReason => s_missing.Value;

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "needs Linux";
        }
        if (Environment.UserName != "root" && Tools.Run("id", "-u").Trim() != "0")
        {
            return "needs root";
        }
        if (!File.Exists("/dev/net/tun"))
        {
            return "needs /dev/net/tun";
        }
        if (Tools.Find("ip") is null)
        {
            return "needs iproute2 (ip)";
        }
        return null;
    }
}
