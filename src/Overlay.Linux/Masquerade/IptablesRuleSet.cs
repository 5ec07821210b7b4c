using System.Globalization;
using System.Text.RegularExpressions;
using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Masquerade;

/// <summary>flannel's rules in FLANNEL-POSTRTG (nat) and FLANNEL-FWD (filter), through iptables and iptables-restore.</summary>
internal sealed partial class IptablesRuleSet : IHostRuleSet
{
    // Bounds the loop that removes duplicated jumps (a crashed older daemon can leave several).
    private const int MaxJumpCopies = 16;

    private readonly RuleCommandRunner _runner;
    private readonly string _iptables;
    private readonly string _restore;
    private readonly IReadOnlyList<IptablesRule> _rules;

    public IptablesRuleSet(RuleCommandRunner runner, string iptablesPath, Ipv4Subnet cluster, Ipv4Subnet node, MasqueradeOptions options)
    {
        _runner = runner;
        _iptables = iptablesPath;
        _restore = RuleCommandRunner.Locate("iptables-restore")
            ?? throw new MasqueradeException("iptables-restore", -1, "not found on PATH", FixHints.ForMissingProgram("iptables"));
        bool fullyRandom = options.FullyRandom && SupportsRandomFully();
        _rules = options.ForwardRules
            ? [.. FlannelIptablesRules.Masquerade(cluster, node, fullyRandom), .. FlannelIptablesRules.Forward(cluster)]
            : FlannelIptablesRules.Masquerade(cluster, node, fullyRandom);
    }

    public RuleBackend Backend => RuleBackend.Iptables;

    /// <summary>The rules this set installs, jumps included, in install order.</summary>
    public IReadOnlyList<IptablesRule> Rules => _rules;

    public void Install()
    {
        // iptables rejects a -C whose jump target does not exist yet, so only jumps into existing chains are looked up.
        var existingJumps = _rules
            .Where(rule => !IptablesRestorePayload.IsFlannelChain(rule.Chain) && ChainExists(rule.Table, rule.Target) && Exists(rule))
            .ToHashSet();
        string payload = IptablesRestorePayload.Build(_rules, existingJumps);
        _runner.RunChecked(_restore, ["--noflush", "--wait"], payload);
    }

    public bool IsIntact() =>
        _rules.Where(rule => IptablesRestorePayload.IsFlannelChain(rule.Chain)).Select(rule => (rule.Table, rule.Chain)).Distinct()
            .All(chain => ChainExists(chain.Table, chain.Chain))
        && _rules.All(Exists);

    public void Remove()
    {
        RemoveChain("nat", "POSTROUTING", FlannelIptablesRules.PostroutingChain);
        RemoveChain("filter", "FORWARD", FlannelIptablesRules.ForwardChain);
        // flanneld's own startup cleanup looks for FLANNEL-FWD in the nat table too; clear that leftover as well.
        RemoveChain("nat", null, FlannelIptablesRules.ForwardChain);
    }

    private void RemoveChain(string table, string? parent, string chain)
    {
        if (!ChainExists(table, chain))
        {
            return;
        }
        if (parent is not null)
        {
            foreach (IptablesRule jump in _rules.Where(rule => rule.Table == table && rule.Chain == parent))
            {
                for (int copy = 0; copy < MaxJumpCopies && Exists(jump); copy++)
                {
                    _runner.RunChecked(_iptables, ["--wait", .. jump.ToArguments("-D")]);
                }
            }
        }
        _runner.RunChecked(_iptables, ["--wait", "-t", table, "-F", chain]);
        _runner.RunChecked(_iptables, ["--wait", "-t", table, "-X", chain]);
    }

    private bool ChainExists(string table, string chain)
    {
        CommandResult result = _runner.Run(_iptables, ["--wait", "-t", table, "-S", chain]);
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new MasqueradeException(result.CommandLine, result.ExitCode, result.StandardError, FixHints.ForFailure(result)),
        };
    }

    private bool Exists(IptablesRule rule)
    {
        // Exit 1 means "no such rule" (or no such chain yet); anything else is a real failure such as a lock timeout.
        CommandResult result = _runner.Run(_iptables, ["--wait", .. rule.ToArguments("-C")]);
        return result.ExitCode switch
        {
            0 => true,
            1 => false,
            _ => throw new MasqueradeException(result.CommandLine, result.ExitCode, result.StandardError, FixHints.ForFailure(result)),
        };
    }

    // go-iptables' HasRandomFully: --random-fully arrived in iptables 1.6.2.
    private bool SupportsRandomFully()
    {
        CommandResult result = _runner.Run(_iptables, ["--version"]);
        Match version = VersionPattern().Match(result.StandardOutput);
        if (!result.Succeeded || !version.Success)
        {
            return false;
        }
        var parsed = new Version(int.Parse(version.Groups[1].ValueSpan, CultureInfo.InvariantCulture), int.Parse(version.Groups[2].ValueSpan, CultureInfo.InvariantCulture), int.Parse(version.Groups[3].ValueSpan, CultureInfo.InvariantCulture));
        return parsed >= new Version(1, 6, 2);
    }

    [GeneratedRegex(@"v(\d+)\.(\d+)\.(\d+)")]
    private static partial Regex VersionPattern();
}
