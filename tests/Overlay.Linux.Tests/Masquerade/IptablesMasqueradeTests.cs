using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Masquerade;

/// <summary>flannel's iptables chains, installed, checked, repaired and removed inside a test namespace.</summary>
public sealed class IptablesMasqueradeTests
{
    private static readonly string[] s_postroutingChain =
    [
        "-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
        "-A FLANNEL-POSTRTG -s 10.244.5.0/24 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j RETURN",
        "-A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.5.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
        "-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.5.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
        "-A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
        "-A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
    ];

    private static readonly string[] s_postroutingJump = ["-A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG"];

    private static readonly string[] s_forwardChain =
    [
        "-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
        "-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
    ];

    private static readonly string[] s_forwardJump = ["-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD"];

    [PrivilegedFact]
    public void Install_writes_exactly_flannels_chains_and_jumps_in_order()
    {
        using TestNamespace ns = TestNamespace.Create("masq");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns);
        Assert.Equal(RuleBackend.Iptables, rules.Backend);
        Assert.False(rules.IsIntact());

        rules.Install();

        Assert.Equal(s_postroutingChain, RuleNamespace.Listing(ns, "nat", "FLANNEL-POSTRTG"));
        Assert.Equal(s_postroutingJump, RuleNamespace.Listing(ns, "nat", "POSTROUTING"));
        Assert.Equal(s_forwardChain, RuleNamespace.Listing(ns, "filter", "FLANNEL-FWD"));
        Assert.Equal(s_forwardJump, RuleNamespace.Listing(ns, "filter", "FORWARD"));
        Assert.True(rules.IsIntact());
    }

    [PrivilegedFact]
    public void Installing_twice_keeps_one_copy_of_every_rule()
    {
        using TestNamespace ns = TestNamespace.Create("masq");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns);

        rules.Install();
        rules.Install();

        Assert.Equal(s_postroutingChain, RuleNamespace.Listing(ns, "nat", "FLANNEL-POSTRTG"));
        Assert.Equal(s_postroutingJump, RuleNamespace.Listing(ns, "nat", "POSTROUTING"));
        Assert.Equal(s_forwardJump, RuleNamespace.Listing(ns, "filter", "FORWARD"));
    }

    [PrivilegedFact]
    public void Fully_random_disabled_and_forward_rules_off_install_only_plain_masquerade()
    {
        using TestNamespace ns = TestNamespace.Create("masq");
        MasqueradeOptions options = RuleNamespace.OptionsFor(ns, fullyRandom: false) with { ForwardRules = false };
        var rules = new MasqueradeRules(RuleNamespace.Cluster, RuleNamespace.Node, options);

        rules.Install();

        string[] listing = RuleNamespace.Listing(ns, "nat", "FLANNEL-POSTRTG");
        Assert.Equal(s_postroutingChain.Select(line => line.Replace(" --random-fully", "", StringComparison.Ordinal)), listing);
        Assert.DoesNotContain("FLANNEL", ns.Exec("iptables-save", "-t", "filter"), StringComparison.Ordinal);
        Assert.True(rules.IsIntact());
    }

    [PrivilegedFact]
    public void Remove_leaves_no_flannel_chains_and_can_run_twice()
    {
        using TestNamespace ns = TestNamespace.Create("masq");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns);
        rules.Install();
        Assert.Contains("FLANNEL-POSTRTG", ns.Exec("iptables-save"), StringComparison.Ordinal);

        rules.Remove();
        rules.Remove();

        Assert.DoesNotContain("FLANNEL", ns.Exec("iptables-save"), StringComparison.Ordinal);
        Assert.False(rules.IsIntact());
    }

    [PrivilegedTheory]
    [InlineData("nat", "FLANNEL-POSTRTG", "3")]
    [InlineData("nat", "POSTROUTING", "1")]
    [InlineData("filter", "FLANNEL-FWD", "2")]
    public void Resync_after_a_rule_is_deleted_by_hand_restores_the_full_ordered_set(string table, string chain, string ruleNumber)
    {
        using TestNamespace ns = TestNamespace.Create("masq");
        MasqueradeRules rules = RuleNamespace.RulesIn(ns);
        rules.Install();
        Assert.False(rules.Resync());

        ns.Exec("iptables", "-w", "-t", table, "-D", chain, ruleNumber);
        Assert.False(rules.IsIntact());

        Assert.True(rules.Resync());
        Assert.Equal(s_postroutingChain, RuleNamespace.Listing(ns, "nat", "FLANNEL-POSTRTG"));
        Assert.Equal(s_postroutingJump, RuleNamespace.Listing(ns, "nat", "POSTROUTING"));
        Assert.Equal(s_forwardChain, RuleNamespace.Listing(ns, "filter", "FLANNEL-FWD"));
        Assert.Equal(s_forwardJump, RuleNamespace.Listing(ns, "filter", "FORWARD"));
        Assert.False(rules.Resync());
    }

    [PrivilegedFact]
    public void Startup_cleanup_removes_the_chains_a_previous_run_left_for_another_subnet()
    {
        using TestNamespace ns = TestNamespace.Create("masq");
        RuleNamespace.RulesIn(ns, node: Ipv4Subnet.Parse("10.244.9.0/24")).Install();
        MasqueradeRules current = RuleNamespace.RulesIn(ns);

        current.RemoveLeftovers();
        Assert.DoesNotContain("FLANNEL", ns.Exec("iptables-save"), StringComparison.Ordinal);
        current.Install();

        Assert.Equal(s_postroutingChain, RuleNamespace.Listing(ns, "nat", "FLANNEL-POSTRTG"));
        Assert.DoesNotContain("10.244.9.0", ns.Exec("iptables-save"), StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void A_failing_command_reports_its_command_line_exit_code_stderr_and_a_fix()
    {
        var options = new MasqueradeOptions { CommandPrefix = ["ip", "netns", "exec", "ovt-no-such-namespace"] };
        var rules = new MasqueradeRules(RuleNamespace.Cluster, RuleNamespace.Node, options);

        MasqueradeException error = Assert.Throws<MasqueradeException>(rules.Install);

        Assert.Contains("ovt-no-such-namespace", error.Command, StringComparison.Ordinal);
        Assert.Contains("iptables", error.Command, StringComparison.Ordinal);
        Assert.NotEqual(0, error.ExitCode);
        Assert.Contains("ovt-no-such-namespace", error.StandardError, StringComparison.Ordinal);
        Assert.Contains(error.Fix, error.Message, StringComparison.Ordinal);
        Assert.Contains($"exited {error.ExitCode}", error.Message, StringComparison.Ordinal);
    }
}
