using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Masquerade;

/// <summary>
/// The rules flanneld (v0.20 and later) installs with <c>-ip-masq</c> and <c>-iptables-forward-rules</c>, word for
/// word, so that <c>iptables -S</c> on a node looks the same whichever daemon runs there.
/// </summary>
public static class FlannelIptablesRules
{
    public const string PostroutingChain = "FLANNEL-POSTRTG";
    public const string ForwardChain = "FLANNEL-FWD";
    public const string MasqueradeComment = "flanneld masq";
    public const string ForwardComment = "flanneld forward";

    /// <summary>kube-proxy marks packets it has already masqueraded with this bit; masquerading them again breaks some kernels.</summary>
    public const string KubeProxyMark = "0x4000/0x4000";

    /// <summary>IPv4 multicast, which is never masqueraded.</summary>
    public const string MulticastRange = "224.0.0.0/4";

    /// <summary>
    /// The nat rules in install order: the POSTROUTING jump first, then the six FLANNEL-POSTRTG rules.
    /// </summary>
    /// <param name="cluster">The cluster network C (the config's Network).</param>
    /// <param name="node">This node's subnet P (the lease).</param>
    /// <param name="fullyRandom">Appends <c>--random-fully</c> to both MASQUERADE rules.</param>
    public static IReadOnlyList<IptablesRule> Masquerade(Ipv4Subnet cluster, Ipv4Subnet node, bool fullyRandom)
    {
        string c = cluster.ToString();
        string p = node.ToString();
        string[] comment = ["-m", "comment", "--comment", MasqueradeComment];
        string[] masquerade = fullyRandom ? ["-j", "MASQUERADE", "--random-fully"] : ["-j", "MASQUERADE"];
        return
        [
            new("nat", "POSTROUTING", [.. comment, "-j", PostroutingChain]),
            new("nat", PostroutingChain, ["-m", "mark", "--mark", KubeProxyMark, .. comment, "-j", "RETURN"]),
            // Pod-to-pod traffic keeps its source in both directions.
            new("nat", PostroutingChain, ["-s", p, "-d", c, .. comment, "-j", "RETURN"]),
            new("nat", PostroutingChain, ["-s", c, "-d", p, .. comment, "-j", "RETURN"]),
            // Outside traffic arriving for a local pod keeps the client's address.
            new("nat", PostroutingChain, ["!", "-s", c, "-d", p, .. comment, "-j", "RETURN"]),
            new("nat", PostroutingChain, ["-s", c, "!", "-d", MulticastRange, .. comment, .. masquerade]),
            // The host talking to remote pods uses its flannel address, so the reply comes back through the overlay.
            new("nat", PostroutingChain, ["!", "-s", c, "-d", c, .. comment, .. masquerade]),
        ];
    }

    /// <summary>The filter rules in install order: the FORWARD jump, then accept from and to the cluster network.</summary>
    public static IReadOnlyList<IptablesRule> Forward(Ipv4Subnet cluster)
    {
        string c = cluster.ToString();
        string[] comment = ["-m", "comment", "--comment", ForwardComment];
        return
        [
            new("filter", "FORWARD", [.. comment, "-j", ForwardChain]),
            new("filter", ForwardChain, ["-s", c, .. comment, "-j", "ACCEPT"]),
            new("filter", ForwardChain, ["-d", c, .. comment, "-j", "ACCEPT"]),
        ];
    }
}
