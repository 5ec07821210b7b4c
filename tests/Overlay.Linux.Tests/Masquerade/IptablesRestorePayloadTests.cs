using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;

namespace Overlay.Linux.Tests.Masquerade;

public sealed class IptablesRestorePayloadTests
{
    private static readonly Ipv4Subnet s_cluster = Ipv4Subnet.Parse("10.244.0.0/16");

    [Fact]
    public void Each_table_declares_its_flannel_chain_and_commits_once()
    {
        IReadOnlyList<IptablesRule> rules = [.. FlannelIptablesRules.Masquerade(s_cluster, Ipv4Subnet.Parse("10.244.5.0/24"), false), .. FlannelIptablesRules.Forward(s_cluster)];

        string[] lines = IptablesRestorePayload.Build(rules, new HashSet<IptablesRule>()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal("*nat", lines[0]);
        Assert.Equal(":FLANNEL-POSTRTG - [0:0]", lines[1]);
        Assert.Equal(rules[0].ToRestoreLine("-A"), lines[2]);
        Assert.Equal("COMMIT", lines[9]);
        Assert.Equal("*filter", lines[10]);
        Assert.Equal(":FLANNEL-FWD - [0:0]", lines[11]);
        Assert.Equal("COMMIT", lines[^1]);
        Assert.Equal(2 + 2 + 7 + 2 + 3, lines.Length);
        Assert.DoesNotContain(lines, line => line.StartsWith("-D", StringComparison.Ordinal));
    }

    [Fact]
    public void An_existing_jump_is_deleted_right_before_it_is_appended_again()
    {
        IReadOnlyList<IptablesRule> rules = FlannelIptablesRules.Forward(s_cluster);
        IptablesRule jump = FlannelIptablesRules.Forward(s_cluster)[0];

        string[] lines = IptablesRestorePayload.Build(rules, new HashSet<IptablesRule> { jump }).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(
            [
                "*filter",
                ":FLANNEL-FWD - [0:0]",
                "-D FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD",
                "-A FORWARD -m comment --comment \"flanneld forward\" -j FLANNEL-FWD",
                "-A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
                "-A FLANNEL-FWD -d 10.244.0.0/16 -m comment --comment \"flanneld forward\" -j ACCEPT",
                "COMMIT",
            ],
            lines);
    }
}
