using System.Globalization;

namespace Overlay.Daemon.Options;

/// <summary>The values found for each flag, from the command line or the environment.</summary>
internal sealed class ParsedFlags(Dictionary<string, List<string>> values, string[] remaining, List<string> fromEnvironment)
{
    /// <summary>Arguments after the flags (flanneld takes none; kept so the caller can refuse them).</summary>
    public IReadOnlyList<string> Remaining { get; } = remaining;

    /// <summary>Which FLANNELD_* variables supplied a value, for the startup log.</summary>
    public IReadOnlyList<string> FromEnvironment { get; } = fromEnvironment;

    public bool IsSet(string name) => values.ContainsKey(name);

    public string String(string name, string defaultValue) =>
        values.TryGetValue(name, out List<string>? list) ? list[^1] : defaultValue;

    public string? OptionalString(string name) =>
        values.TryGetValue(name, out List<string>? list) && list[^1].Length > 0 ? list[^1] : null;

    public IReadOnlyList<string> All(string name) =>
        values.TryGetValue(name, out List<string>? list) ? list : [];

    public bool Bool(string name, bool defaultValue)
    {
        if (!values.TryGetValue(name, out List<string>? list))
        {
            return defaultValue;
        }
        FlagSet.TryParseBool(list[^1], out bool value);
        return value;
    }

    public int Int(string name, int defaultValue)
    {
        if (!values.TryGetValue(name, out List<string>? list))
        {
            return defaultValue;
        }
        return int.TryParse(list[^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new UsageException($"invalid value \"{list[^1]}\" for -{name}: must be a whole number");
    }
}
