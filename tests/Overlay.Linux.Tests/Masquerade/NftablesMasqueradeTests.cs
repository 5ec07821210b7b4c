using System.Text.RegularExpressions;
using Overlay.Linux.Masquerade;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Masquerade;

/// <summary>flannel's nftables mode: table ip flannel-ipv4 inside a test namespace.</summary>
public sealed partial class NftablesMasqueradeTests
{
    private static readonly string[] s_postroutingRules =
    [
        "meta mark & 0x00004000 == 0x00004000 return comment \"flanneld masq\"",
        "ip saddr 10.244.5.0/24 ip daddr 10.244.0.0/16 return comment \"flanneld masq\"",
        "ip saddr 10.244.0.0/16 ip daddr 10.244.5.0/24 return comment \"flanneld masq\"",
        "ip saddr != 10.244.0.0/16 ip daddr 10.244.5.0/24 return comment \"flanneld masq\"",
        "ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random comment \"flanneld masq\"",
        "ip saddr != 10.244.0.0/16 ip daddr 10.244.0.0/16 masquerade fully-random comment \"flanneld masq\"",
    ];

    private static readonly string[] s_forwardRules =
    [
        "ip saddr 10.244.0.0/16 accept comment \"flanneld forward\"",
        "ip daddr 10.244.0.0/16 accept comment \"flanneld forward\"",
    ];

    [PrivilegedFact]
    public void Install_lists_the_flannel_ipv4_table_with_both_chains_in_order()
    {
        using TestNamespace ns = TestNamespace.Create("nft");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns, preferNftables: true);
        Assert.Equal(RuleBackend.Nftables, rules.Backend);

        rules.Install();

        Assert.Equal(s_postroutingRules, ChainRules(ns, "postrtg"));
        Assert.Equal(s_forwardRules, ChainRules(ns, "forward"));
        string table = ns.Exec("nft", "list", "table", "ip", "flannel-ipv4");
        Assert.Contains("type nat hook postrouting priority srcnat", table, StringComparison.Ordinal);
        Assert.Contains("type filter hook forward priority filter", table, StringComparison.Ordinal);
        Assert.True(rules.IsIntact());
    }

    [PrivilegedFact]
    public void Resync_after_a_rule_is_deleted_by_handle_restores_the_full_ordered_set()
    {
        using TestNamespace ns = TestNamespace.Create("nft");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns, preferNftables: true);
        rules.Install();
        Assert.False(rules.Resync());

        string withHandles = ns.Exec("nft", "-a", "list", "chain", "ip", "flannel-ipv4", "postrtg");
        string thirdHandle = HandlePattern().Matches(withHandles)[2].Groups[1].Value;
        ns.Exec("nft", "delete", "rule", "ip", "flannel-ipv4", "postrtg", "handle", thirdHandle);
        Assert.Equal(5, ChainRules(ns, "postrtg").Length);
        Assert.False(rules.IsIntact());

        Assert.True(rules.Resync());
        Assert.Equal(s_postroutingRules, ChainRules(ns, "postrtg"));
        Assert.Equal(s_forwardRules, ChainRules(ns, "forward"));
        Assert.True(rules.IsIntact());
    }

    [PrivilegedFact]
    public void Remove_deletes_the_table_and_can_run_twice()
    {
        using TestNamespace ns = TestNamespace.Create("nft");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns, preferNftables: true);
        rules.Install();
        Assert.Contains("flannel-ipv4", ns.Exec("nft", "list", "tables"), StringComparison.Ordinal);

        rules.Remove();
        rules.Remove();

        Assert.DoesNotContain("flannel-ipv4", ns.Exec("nft", "list", "tables"), StringComparison.Ordinal);
        Assert.False(rules.IsIntact());
        Assert.True(rules.Resync());
        Assert.Equal(s_postroutingRules, ChainRules(ns, "postrtg"));
    }

    private static string[] ChainRules(TestNamespace ns, string chain) =>
        ns.Exec("nft", "list", "chain", "ip", "flannel-ipv4", chain)
            .Split('\n')
            .Select(line => line.Trim())
            .Where(line => line.Contains("comment \"flanneld", StringComparison.Ordinal))
            .ToArray();

    [GeneratedRegex(@"comment ""flanneld masq"" # handle (\d+)")]
    private static partial Regex HandlePattern();
}
