using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;

namespace Overlay.Linux.Tests.Masquerade;

public sealed class FlannelNftablesScriptTests
{
    private static readonly Ipv4Subnet s_cluster = Ipv4Subnet.Parse("10.244.0.0/16");
    private static readonly Ipv4Subnet s_node = Ipv4Subnet.Parse("10.244.5.0/24");

    [Fact]
    public void Postrouting_rules_mirror_the_iptables_set_in_order()
    {
        string[] rules = RulesOf(FlannelNftablesScript.Install(s_cluster, s_node, fullyRandom: true, forwardRules: false), "postrtg");

        Assert.Equal(
            [
                "meta mark & 0x4000 == 0x4000 return comment \"flanneld masq\"",
                "ip saddr 10.244.5.0/24 ip daddr 10.244.0.0/16 return comment \"flanneld masq\"",
                "ip saddr 10.244.0.0/16 ip daddr 10.244.5.0/24 return comment \"flanneld masq\"",
                "ip saddr != 10.244.0.0/16 ip daddr 10.244.5.0/24 return comment \"flanneld masq\"",
                "ip saddr 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade fully-random comment \"flanneld masq\"",
                "ip saddr != 10.244.0.0/16 ip daddr 10.244.0.0/16 masquerade fully-random comment \"flanneld masq\"",
            ],
            rules);
    }

    [Fact]
    public void Forward_chain_appears_only_when_forward_rules_are_on()
    {
        string with = FlannelNftablesScript.Install(s_cluster, s_node, fullyRandom: false, forwardRules: true);
        string without = FlannelNftablesScript.Install(s_cluster, s_node, fullyRandom: false, forwardRules: false);

        Assert.Equal(
            ["ip saddr 10.244.0.0/16 accept comment \"flanneld forward\"", "ip daddr 10.244.0.0/16 accept comment \"flanneld forward\""],
            RulesOf(with, "forward"));
        Assert.Empty(RulesOf(without, "forward"));
        Assert.DoesNotContain("fully-random", with, StringComparison.Ordinal);
    }

    [Fact]
    public void Chains_are_flushed_before_rules_so_a_rerun_rebuilds_instead_of_appending()
    {
        string[] lines = FlannelNftablesScript.Install(s_cluster, s_node, true, true).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        int flush = Array.IndexOf(lines, "flush chain ip flannel-ipv4 postrtg");
        int firstRule = Array.FindIndex(lines, line => line.StartsWith("add rule ip flannel-ipv4 postrtg", StringComparison.Ordinal));
        Assert.InRange(flush, 0, firstRule - 1);
    }

    private static string[] RulesOf(string script, string chain)
    {
        string prefix = $"add rule ip flannel-ipv4 {chain} ";
        return script.Split('\n').Where(line => line.StartsWith(prefix, StringComparison.Ordinal)).Select(line => line[prefix.Length..]).ToArray();
    }
}
