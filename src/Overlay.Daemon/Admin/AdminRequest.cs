using System.Globalization;

namespace Overlay.Daemon.Admin;

/// <summary>
/// One request of the admin protocol. The client sends a single UTF-8 line ending in '\n':
/// <c>routes</c>, <c>leases</c>, <c>stats</c>, or <c>capture [N]</c> (N packets, 0 or absent = until the client
/// hangs up). The daemon answers <c>ok\n</c> followed by the body (JSON lines; raw pcap bytes for capture), or
/// <c>error MESSAGE\n</c>, then closes the connection.
/// </summary>
public sealed record AdminRequest(AdminVerb Verb, int Count = 0)
{
    /// <summary>Longest request line accepted, terminator included.</summary>
    public const int MaxLineLength = 256;

    public const string OkLine = "ok";

    public const string ErrorPrefix = "error ";

    /// <summary>The request as it goes on the wire, without the '\n'.</summary>
    public override string ToString() => Verb switch
    {
        AdminVerb.Capture => Count > 0 ? string.Create(CultureInfo.InvariantCulture, $"capture {Count}") : "capture",
        _ => Verb.ToString().ToLowerInvariant(),
    };

    /// <summary>Parses a request line (without '\n'; a trailing '\r' is tolerated). On failure says why.</summary>
    public static bool TryParse(string line, out AdminRequest? request, out string? error)
    {
        ArgumentNullException.ThrowIfNull(line);
        request = null;
        string[] words = line.TrimEnd('\r').Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            error = "empty request";
            return false;
        }
        AdminVerb? verb = words[0] switch
        {
            "routes" => AdminVerb.Routes,
            "leases" => AdminVerb.Leases,
            "stats" => AdminVerb.Stats,
            "capture" => AdminVerb.Capture,
            _ => null,
        };
        if (verb is not AdminVerb known)
        {
            error = $"unknown request '{words[0]}' (expected routes, leases, stats or capture [N])";
            return false;
        }
        int maxWords = known == AdminVerb.Capture ? 2 : 1;
        if (words.Length > maxWords)
        {
            error = $"'{words[0]}' takes {(maxWords == 1 ? "no argument" : "at most one argument")}";
            return false;
        }
        int count = 0;
        if (words.Length == 2 && !int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out count))
        {
            error = $"capture count '{words[1]}' is not a non-negative number";
            return false;
        }
        request = new AdminRequest(known, count);
        error = null;
        return true;
    }
}
