namespace Overlay.Daemon.Options;

/// <summary>One command-line flag, spelled as flanneld spells it (without the leading dash).</summary>
/// <param name="Name">The flag name, e.g. "etcd-endpoints".</param>
/// <param name="Usage">One line for -h.</param>
/// <param name="IsBoolean">Boolean flags take no separate value: <c>-ip-masq</c> or <c>-ip-masq=false</c>.</param>
/// <param name="Repeatable">The flag may be given several times (flanneld's -iface); values accumulate.</param>
/// <param name="DefaultText">The default as shown in usage, or null for none.</param>
internal sealed record FlagDefinition(string Name, string Usage, bool IsBoolean = false, bool Repeatable = false, string? DefaultText = null)
{
    /// <summary>The environment variable that sets the flag when the command line does not: FLANNELD_ETCD_ENDPOINTS.</summary>
    public string EnvironmentName => EnvironmentNameOf(Name);

    public static string EnvironmentNameOf(string flag) => "FLANNELD_" + flag.ToUpperInvariant().Replace('-', '_').Replace('.', '_');
}
