using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;

namespace Overlay.Linux.Tests.Masquerade;

/// <summary>The rule text against flanneld's iptables.go (v0.20+), for C = 10.244.0.0/16 and P = 10.244.5.0/24.</summary>
public sealed class FlannelIptablesRulesTests
{
    private static readonly Ipv4Subnet s_cluster = Ipv4Subnet.Parse("10.244.0.0/16");
    private static readonly Ipv4Subnet s_node = Ipv4Subnet.Parse("10.244.5.0/24");

    [Fact]
    public void Masquerade_rules_are_the_jump_then_six_rules_in_flannels_order()
    {
        string[] lines = FlannelIptablesRules.Masquerade(s_cluster, s_node, fullyRandom: true)
            .Select(rule => $"{rule.Table} {rule.ToRestoreLine("-A")}").ToArray();

        Assert.Equal(
            [
                "nat -A POSTROUTING -m comment --comment \"flanneld masq\" -j FLANNEL-POSTRTG",
                "nat -A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment \"flanneld masq\" -j RETURN",
                "nat -A FLANNEL-POSTRTG -s 10.244.5.0/24 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j RETURN",
                "nat -A FLANNEL-POSTRTG -s 10.244.0.0/16 -d 10.244.5.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                "nat -A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.5.0/24 -m comment --comment \"flanneld masq\" -j RETURN",
                "nat -A FLANNEL-POSTRTG -s 10.244.0.0/16 ! -d 224.0.0.0/4 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
                "nat -A FLANNEL-POSTRTG ! -s 10.244.0.0/16 -d 10.244.0.0/16 -m comment --comment \"flanneld masq\" -j MASQUERADE --random-fully",
            ],
            lines);
    }

    [Fact]
    public void Fully_random_disabled_drops_the_flag_from_both_masquerade_rules_only()
    {
        IReadOnlyList<IptablesRule> rules = FlannelIptablesRules.Masquerade(s_cluster, s_node, fullyRandom: false);

        Assert.DoesNotContain(rules, rule => rule.Spec.Contains("--random-fully"));
        Assert.Equal(2, rules.Count(rule => rule.Target == "MASQUERADE"));
        Assert.Equal(["FLANNEL-POSTRTG", "RETURN", "RETURN", "RETURN", "RETURN", "MASQUERADE", "MASQUERADE"], rules.Select(rule => rule.Target));
    }

    [Fact]
    public void Forward_rules_jump_from_forward_and_accept_both_directions_of_the_cluster()
    {
        string[] lines = FlannelIptablesRules.Forward(s_cluster).Select(rule => $"{rule.Table} {rule.ToRestoreLine("-A")}").ToArray();

        Assert.Equal(
            [
                "filter -A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD",
                "filter -A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
                "filter -A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
            ],
            lines);
    }

    [Fact]
    public void Check_arguments_pass_the_comment_as_one_unquoted_word()
    {
        IptablesRule jump = FlannelIptablesRules.Forward(s_cluster)[0];

        Assert.Equal(["-t", "filter", "-C", "FORWARD", "-m", "comment", "--comment", "flanneld forward", "-j", "FLANNEL-FWD"], jump.ToArguments("-C"));
    }

    [Fact]
    public void Rules_compare_by_content_not_by_list_identity()
    {
        IptablesRule first = FlannelIptablesRules.Masquerade(s_cluster, s_node, true)[3];
        IptablesRule again = FlannelIptablesRules.Masquerade(s_cluster, s_node, true)[3];
        IptablesRule otherNode = FlannelIptablesRules.Masquerade(s_cluster, Ipv4Subnet.Parse("10.244.6.0/24"), true)[3];

        Assert.Equal(first, again);
        Assert.Equal(first.GetHashCode(), again.GetHashCode());
        Assert.NotEqual(first, otherNode);
    }
}
