namespace Overlay.Linux.Masquerade;

/// <summary>One iptables rule: its table, chain and match/target words, exactly as they are passed to iptables.</summary>
public sealed record IptablesRule(string Table, string Chain, IReadOnlyList<string> Spec)
{
    /// <summary>The target of the rule (the word after <c>-j</c>).</summary>
    public string Target => Spec[Spec.Count - 1] is "--random-fully" ? Spec[Spec.Count - 2] : Spec[Spec.Count - 1];

    /// <summary>
    /// The rule as an iptables-restore line, e.g. <c>-A FLANNEL-POSTRTG -s 10.244.0.0/16 ... --comment "flanneld masq" -j RETURN</c>.
    /// Comment words are quoted because iptables-restore splits lines on spaces.
    /// </summary>
    public string ToRestoreLine(string action)
    {
        var words = new List<string>(Spec.Count + 2) { action, Chain };
        for (int i = 0; i < Spec.Count; i++)
        {
            words.Add(i > 0 && Spec[i - 1] == "--comment" ? $"\"{Spec[i]}\"" : Spec[i]);
        }
        return string.Join(' ', words);
    }

    /// <summary>The arguments of <c>iptables -t TABLE ACTION CHAIN SPEC...</c> (action is -C, -A or -D).</summary>
    public IReadOnlyList<string> ToArguments(string action) => ["-t", Table, action, Chain, .. Spec];

    /// <summary>Rules are equal when table, chain and every word match (a record would compare the list by reference).</summary>
    public bool Equals(IptablesRule? other) =>
        other is not null && Table == other.Table && Chain == other.Chain && Spec.SequenceEqual(other.Spec);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Table);
        hash.Add(Chain);
        foreach (string word in Spec)
        {
            hash.Add(word);
        }
        return hash.ToHashCode();
    }

    public override string ToString() => $"-t {Table} {ToRestoreLine("-A")}";
}
