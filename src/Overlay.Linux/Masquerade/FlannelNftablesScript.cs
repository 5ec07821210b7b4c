using System.Text;
using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Masquerade;

/// <summary>
/// The nftables form of flannel's rules (its <c>EnableNFTables</c> mode): table <c>ip flannel-ipv4</c> with a
/// <c>postrtg</c> nat chain at srcnat priority and a <c>forward</c> filter chain, as <c>nft -f -</c> scripts.
/// </summary>
/// <remarks>
/// The rules match the iptables set one for one, comments included. Two deliberate differences from flanneld's
/// nftables code: the kube-proxy mark is tested as a bit (<c>meta mark &amp; 0x4000 == 0x4000</c>, like iptables'
/// <c>--mark 0x4000/0x4000</c>) rather than as the whole mark, and rule 4 is <c>ip saddr != C ip daddr P</c> as in
/// iptables, where flanneld's nftables code has <c>saddr != P daddr C</c>.
/// </remarks>
public static class FlannelNftablesScript
{
    public const string Table = "flannel-ipv4";
    public const string PostroutingChain = "postrtg";
    public const string ForwardChain = "forward";

    /// <summary>
    /// Creates the table and chains when missing, empties the chains and adds every rule in order; nft applies the
    /// whole script as one transaction.
    /// </summary>
    public static string Install(Ipv4Subnet cluster, Ipv4Subnet node, bool fullyRandom, bool forwardRules)
    {
        string c = cluster.ToString();
        string p = node.ToString();
        string masquerade = fullyRandom ? "masquerade fully-random" : "masquerade";
        string masq = $" comment \"{FlannelIptablesRules.MasqueradeComment}\"";
        var script = new StringBuilder();
        script.Append($"add table ip {Table} {{ comment \"rules for {Table}\" ; }}\n");
        script.Append($"add chain ip {Table} {PostroutingChain} {{ type nat hook postrouting priority srcnat ; comment \"chain to manage traffic masquerading by flannel\" ; }}\n");
        script.Append($"flush chain ip {Table} {PostroutingChain}\n");
        string rule = $"add rule ip {Table} {PostroutingChain} ";
        script.Append(rule).Append("meta mark & 0x4000 == 0x4000 return").Append(masq).Append('\n');
        script.Append(rule).Append($"ip saddr {p} ip daddr {c} return").Append(masq).Append('\n');
        script.Append(rule).Append($"ip saddr {c} ip daddr {p} return").Append(masq).Append('\n');
        script.Append(rule).Append($"ip saddr != {c} ip daddr {p} return").Append(masq).Append('\n');
        script.Append(rule).Append($"ip saddr {c} ip daddr != {FlannelIptablesRules.MulticastRange} {masquerade}").Append(masq).Append('\n');
        script.Append(rule).Append($"ip saddr != {c} ip daddr {c} {masquerade}").Append(masq).Append('\n');
        if (forwardRules)
        {
            string fwd = $" comment \"{FlannelIptablesRules.ForwardComment}\"";
            script.Append($"add chain ip {Table} {ForwardChain} {{ type filter hook forward priority filter ; comment \"chain to accept flannel traffic\" ; }}\n");
            script.Append($"flush chain ip {Table} {ForwardChain}\n");
            script.Append($"add rule ip {Table} {ForwardChain} ip saddr {c} accept").Append(fwd).Append('\n');
            script.Append($"add rule ip {Table} {ForwardChain} ip daddr {c} accept").Append(fwd).Append('\n');
        }
        return script.ToString();
    }

    /// <summary>Deletes the table; adding it first makes the script succeed whether or not it exists.</summary>
    public static string Remove() => $"add table ip {Table}\ndelete table ip {Table}\n";
}
