namespace Overlay.ControlPlane.SubnetEnv;

/// <summary>
/// The small part of dotenv syntax flanneld's reader understands: blank lines and # comments skipped, an optional
/// <c>export</c>, <c>KEY=VALUE</c> split at the first '=', whitespace trimmed, one pair of matching quotes removed.
/// The last assignment of a key wins.
/// </summary>
internal static class DotEnv
{
    public static string? Find(string text, string key)
    {
        string? found = null;
        foreach (string rawLine in text.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0 || line[..equals].Trim() != key)
            {
                continue;
            }
            found = Unquote(line[(equals + 1)..].Trim());
        }
        return found;
    }

    private static string Unquote(string value)
    {
        if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
        {
            return value[1..^1];
        }
        int comment = value.IndexOf(" #", StringComparison.Ordinal);
        return comment >= 0 ? value[..comment].TrimEnd() : value;
    }
}
