using System.Text;

namespace Overlay.Linux.Masquerade;

/// <summary>Builds the text fed to <c>iptables-restore --noflush</c>.</summary>
internal static class IptablesRestorePayload
{
    /// <summary>
    /// One block per table, in first-seen order. Each flannel chain is declared (<c>:CHAIN - [0:0]</c>), which creates
    /// it when missing and empties it otherwise, even under --noflush; jumps that already exist are deleted before
    /// they are appended again, so the rebuilt set is complete, in order and free of duplicates. Each table's block
    /// commits atomically.
    /// </summary>
    /// <param name="rules">Rules in install order; a rule whose chain is not a flannel chain is a jump.</param>
    /// <param name="existingJumps">Jumps currently present, which get a <c>-D</c> line first.</param>
    public static string Build(IEnumerable<IptablesRule> rules, IReadOnlySet<IptablesRule> existingJumps)
    {
        var text = new StringBuilder();
        foreach (IGrouping<string, IptablesRule> table in rules.GroupBy(rule => rule.Table))
        {
            text.Append('*').Append(table.Key).Append('\n');
            foreach (string chain in table.Select(r => r.Chain).Where(IsFlannelChain).Distinct())
            {
                text.Append(':').Append(chain).Append(" - [0:0]\n");
            }
            foreach (IptablesRule rule in table)
            {
                if (existingJumps.Contains(rule))
                {
                    text.Append(rule.ToRestoreLine("-D")).Append('\n');
                }
                text.Append(rule.ToRestoreLine("-A")).Append('\n');
            }
            text.Append("COMMIT\n");
        }
        return text.ToString();
    }

    public static bool IsFlannelChain(string chain) =>
        chain is FlannelIptablesRules.PostroutingChain or FlannelIptablesRules.ForwardChain;
}
