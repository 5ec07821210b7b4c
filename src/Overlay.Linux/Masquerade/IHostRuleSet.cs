namespace Overlay.Linux.Masquerade;

/// <summary>One netfilter front end's way of holding flannel's rules. Callers serialize access.</summary>
internal interface IHostRuleSet
{
    RuleBackend Backend { get; }

    /// <summary>Creates or empties the flannel chains and writes every rule in order.</summary>
    void Install();

    /// <summary>True when every rule is present.</summary>
    bool IsIntact();

    /// <summary>Deletes the flannel chains (or table) and the jumps into them; a no-op when nothing is there.</summary>
    void Remove();
}
