using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Masquerade;

/// <summary>flannel's rules in table <c>ip flannel-ipv4</c>, through <c>nft -f -</c>.</summary>
internal sealed class NftablesRuleSet : IHostRuleSet
{
    private readonly RuleCommandRunner _runner;
    private readonly string _nft;
    private readonly string _installScript;

    // The kernel's own rendering of the table right after Install; any later difference means a rule was lost
    // or changed. Comparing renderings avoids re-implementing nft's normalization of the rule text.
    private string? _installedListing;

    public NftablesRuleSet(RuleCommandRunner runner, string nftPath, Ipv4Subnet cluster, Ipv4Subnet node, MasqueradeOptions options)
    {
        _runner = runner;
        _nft = nftPath;
        _installScript = FlannelNftablesScript.Install(cluster, node, options.FullyRandom, options.ForwardRules);
    }

    public RuleBackend Backend => RuleBackend.Nftables;

    public void Install()
    {
        _runner.RunChecked(_nft, ["-f", "-"], _installScript);
        _installedListing = _runner.RunChecked(_nft, ["list", "table", "ip", FlannelNftablesScript.Table]).StandardOutput;
    }

    public bool IsIntact()
    {
        if (_installedListing is null)
        {
            return false;
        }
        CommandResult listing = _runner.Run(_nft, ["list", "table", "ip", FlannelNftablesScript.Table]);
        return listing.Succeeded && listing.StandardOutput == _installedListing;
    }

    public void Remove()
    {
        _runner.RunChecked(_nft, ["-f", "-"], FlannelNftablesScript.Remove());
        _installedListing = null;
    }
}
