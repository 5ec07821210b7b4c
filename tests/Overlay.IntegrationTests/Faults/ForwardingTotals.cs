using System.Globalization;
using System.Text.RegularExpressions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// The counters overlayd prints on its way out (<c>totals: ForwardingSnapshot { TunPacketsRead = 12, ... }</c>),
/// by name, so a test can check what the data plane counted without reaching into the process.
/// </summary>
internal sealed partial class ForwardingTotals
{
    private readonly Dictionary<string, long> _values;

    private ForwardingTotals(Dictionary<string, long> values) => _values = values;

    /// <summary>A counter by its snapshot name, e.g. "DroppedTooShort"; throws when the line lacks it.</summary>
    public long this[string name] => _values.TryGetValue(name, out long value)
        ? value
        : throw new KeyNotFoundException($"the totals line has no {name}: {string.Join(", ", _values.Keys)}");

    public IReadOnlyDictionary<string, long> All => _values;

    /// <summary>Finds the totals line in a daemon's output; throws when there is none (the daemon did not stop cleanly).</summary>
    public static ForwardingTotals Parse(string daemonOutput)
    {
        Match line = TotalsLine().Match(daemonOutput);
        if (!line.Success)
        {
            throw new InvalidOperationException("overlayd printed no totals line:\n" + daemonOutput);
        }
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (Match pair in Counter().Matches(line.Groups["body"].Value))
        {
            values[pair.Groups["name"].Value] = long.Parse(pair.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return new ForwardingTotals(values);
    }

    public override string ToString() => string.Join(", ", _values.Select(p => $"{p.Key} = {p.Value}"));

    [GeneratedRegex(@"totals: \w+ \{(?<body>[^}]*)\}")]
    private static partial Regex TotalsLine();

    [GeneratedRegex(@"(?<name>\w+) = (?<value>-?\d+)")]
    private static partial Regex Counter();
}
