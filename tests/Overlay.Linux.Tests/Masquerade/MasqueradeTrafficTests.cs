using System.Net;
using Overlay.Linux.Masquerade;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Masquerade;

/// <summary>The installed rules really rewrite sources: pod traffic leaving C is masqueraded, traffic inside C is not.</summary>
public sealed class MasqueradeTrafficTests
{
    [PrivilegedTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Pod_traffic_to_the_outside_leaves_with_the_node_address_while_traffic_inside_the_cluster_keeps_the_pod_address(bool nftables)
    {
        using MasqueradeTopology net = MasqueradeTopology.Create();
        var outside = IPAddress.Parse(MasqueradeTopology.OutsideAddress);
        MasqueradeRules rules = RuleNamespace.RulesIn(net.Node, preferNftables: nftables);
        Assert.Equal(nftables ? RuleBackend.Nftables : RuleBackend.Iptables, rules.Backend);

        // Without the rules the outside host sees the pod itself, so any rewrite below is the rules' doing.
        Assert.Equal(IPAddress.Parse(MasqueradeTopology.PodAddress), net.SourceSeenBy(net.Outside, net.Pod, outside.ToString()));

        rules.Install();

        Assert.Equal(IPAddress.Parse(MasqueradeTopology.NodeUplinkAddress), net.SourceSeenBy(net.Outside, net.Pod, outside.ToString()));
        Assert.Equal(IPAddress.Parse(MasqueradeTopology.PodAddress), net.SourceSeenBy(net.RemotePod, net.Pod, MasqueradeTopology.RemotePodAddress));
        Assert.Equal(IPAddress.Parse(MasqueradeTopology.RemotePodAddress), net.SourceSeenBy(net.Pod, net.RemotePod, MasqueradeTopology.PodAddress));

        rules.Remove();

        Assert.Equal(IPAddress.Parse(MasqueradeTopology.PodAddress), net.SourceSeenBy(net.Outside, net.Pod, outside.ToString()));
    }
}
