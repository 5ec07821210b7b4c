namespace Overlay.Linux.Masquerade;

/// <summary>How <see cref="MasqueradeRules"/> installs flannel's host rules (flags <c>-ip-masq*</c>, <c>-iptables-*</c>).</summary>
public sealed record MasqueradeOptions
{
    /// <summary>
    /// Adds <c>--random-fully</c> (nftables: <c>fully-random</c>) to MASQUERADE when the tool supports it.
    /// False mirrors <c>-ip-masq-fully-random-disable</c>.
    /// </summary>
    public bool FullyRandom { get; init; } = true;

    /// <summary>Installs the FORWARD accept rules for the cluster network (<c>-iptables-forward-rules</c>, default true).</summary>
    public bool ForwardRules { get; init; } = true;

    /// <summary>
    /// Uses nftables even when iptables is installed (flannel's <c>EnableNFTables</c>). Without it, iptables is used
    /// when its binary exists and nftables otherwise.
    /// </summary>
    public bool PreferNftables { get; init; }

    /// <summary>
    /// Words put in front of every command, e.g. <c>["ip", "netns", "exec", "node1"]</c> to act on another network
    /// namespace's tables. Empty (the default) acts on the caller's namespace.
    /// </summary>
    public IReadOnlyList<string> CommandPrefix { get; init; } = [];

    /// <summary>Longest wait for one iptables/nft invocation before it is killed and reported as failed.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(15);
}
