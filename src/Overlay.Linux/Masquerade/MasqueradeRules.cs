using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Masquerade;

/// <summary>
/// flanneld's <c>-ip-masq</c> and <c>-iptables-forward-rules</c> host rules for one cluster network C and node
/// subnet P: installed at start, checked and rebuilt on a timer, removed on stop.
/// </summary>
/// <remarks>
/// <para>Lifecycle, in flanneld's order: <see cref="RemoveLeftovers"/> and <see cref="Install"/> after the TUN is up
/// and before subnet.env is written; <see cref="Resync"/> every resync period (default 5 s); <see cref="Remove"/> on
/// shutdown.</para>
/// <para>Thread-safe: every method takes one lock, so a resync timer cannot interleave with shutdown. Each call runs
/// external programs (iptables, iptables-restore or nft) and can block for up to
/// <see cref="MasqueradeOptions.CommandTimeout"/> per invocation; call it off the packet path.</para>
/// </remarks>
public sealed class MasqueradeRules
{
    private readonly Lock _lock = new();
    private readonly IHostRuleSet _rules;

    /// <param name="cluster">The cluster network C (the config's Network).</param>
    /// <param name="node">This node's subnet P (the lease's subnet).</param>
    /// <param name="options">Backend choice, fully-random, forward rules and the command prefix.</param>
    /// <exception cref="MasqueradeException">Neither iptables nor nft is installed (or nft was asked for and is missing).</exception>
    public MasqueradeRules(Ipv4Subnet cluster, Ipv4Subnet node, MasqueradeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Cluster = cluster;
        Node = node;
        var runner = new RuleCommandRunner(options.CommandPrefix, options.CommandTimeout);
        string? iptables = options.PreferNftables ? null : RuleCommandRunner.Locate("iptables");
        if (iptables is not null)
        {
            _rules = new IptablesRuleSet(runner, iptables, cluster, node, options);
            return;
        }
        string nft = RuleCommandRunner.Locate("nft") ?? throw new MasqueradeException(
            options.PreferNftables ? "nft" : "iptables", -1, "not found on PATH or in /usr/sbin, /sbin",
            options.PreferNftables ? FixHints.ForMissingProgram("nft") : "install the iptables package (Debian/Ubuntu: apt-get install iptables) or the nftables package");
        _rules = new NftablesRuleSet(runner, nft, cluster, node, options);
    }

    public Ipv4Subnet Cluster { get; }

    public Ipv4Subnet Node { get; }

    /// <summary>The front end in use: iptables when its binary exists and nftables was not preferred.</summary>
    public RuleBackend Backend => _rules.Backend;

    /// <summary>
    /// Startup cleanup: deletes FLANNEL-POSTRTG and FLANNEL-FWD (or table flannel-ipv4) and the jumps into them, left
    /// by a previous run of this daemon or of flanneld. Since every flannel rule lives in those chains, this also
    /// clears rules written for a different Network or subnet than the one recorded in the old subnet.env.
    /// </summary>
    public void RemoveLeftovers()
    {
        lock (_lock)
        {
            _rules.Remove();
        }
    }

    /// <summary>Creates (or empties) the flannel chains and writes every rule in flannel's order, atomically per table.</summary>
    /// <exception cref="MasqueradeException">The tool failed; the message carries its exit code, stderr and a fix.</exception>
    public void Install()
    {
        lock (_lock)
        {
            _rules.Install();
        }
    }

    /// <summary>True when every rule (jumps included) is present.</summary>
    public bool IsIntact()
    {
        lock (_lock)
        {
            return _rules.IsIntact();
        }
    }

    /// <summary>
    /// flanneld's periodic check: when any rule is missing, rebuilds the whole set in order (rule order matters).
    /// Returns true when it had to rebuild, so the caller can log it as flanneld does.
    /// </summary>
    public bool Resync()
    {
        lock (_lock)
        {
            if (_rules.IsIntact())
            {
                return false;
            }
            _rules.Install();
            return true;
        }
    }

    /// <summary>Deletes the flannel chains (or table) and the jumps into them. Idempotent.</summary>
    public void Remove()
    {
        lock (_lock)
        {
            _rules.Remove();
        }
    }
}
