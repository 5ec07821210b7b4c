namespace Overlay.Linux.Masquerade;

/// <summary>Which netfilter front end holds flannel's masquerade and forward rules.</summary>
public enum RuleBackend
{
    /// <summary>Chains FLANNEL-POSTRTG (nat) and FLANNEL-FWD (filter), driven through the iptables binaries.</summary>
    Iptables,

    /// <summary>Table <c>ip flannel-ipv4</c> with chains <c>postrtg</c> and <c>forward</c>, driven through <c>nft</c>.</summary>
    Nftables,
}
