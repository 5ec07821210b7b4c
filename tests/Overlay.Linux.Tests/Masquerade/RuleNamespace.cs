using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;
using Overlay.TestKit.Namespaces;

namespace Overlay.Linux.Tests.Masquerade;

/// <summary>Aims <see cref="MasqueradeRules"/> at a test namespace: iptables and nftables state is per network namespace.</summary>
internal static class RuleNamespace
{
    public static readonly Ipv4Subnet Cluster = Ipv4Subnet.Parse("10.244.0.0/16");
    public static readonly Ipv4Subnet Node = Ipv4Subnet.Parse("10.244.5.0/24");

    public static MasqueradeOptions OptionsFor(TestNamespace ns, bool preferNftables = false, bool fullyRandom = true) => new()
    {
        CommandPrefix = ["ip", "netns", "exec", ns.Name],
        PreferNftables = preferNftables,
        FullyRandom = fullyRandom,
    };

    public static MasqueradeRules RulesIn(TestNamespace ns, bool preferNftables = false, Ipv4Subnet? node = null) =>
        new(Cluster, node ?? Node, OptionsFor(ns, preferNftables));

    /// <summary>The <c>-A</c> lines of <c>iptables -S</c> for one chain, in kernel order.</summary>
    public static string[] Listing(TestNamespace ns, string table, string chain) =>
        ns.Exec("iptables", "-w", "-t", table, "-S", chain)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => line.StartsWith("-A ", StringComparison.Ordinal))
            .ToArray();
}
