using System.Text.Json;

namespace Overlay.Deploy.Tests.Support;

/// <summary>
/// What a CNI network configuration list must hold for the stock flannel CNI plugin to set up pods from the
/// subnet.env overlayd writes: a named list with a list-capable cniVersion, the flannel plugin first with a delegate
/// object (the bridge settings it passes on), then any chained plugins. Stateless.
/// </summary>
internal static class CniConflistRules
{
    /// <summary>Where the flannel plugin reads subnet.env when its config names no <c>subnetFile</c>.</summary>
    public const string DefaultSubnetFile = "/run/flannel/subnet.env";

    /// <summary>Versions of the CNI spec that define network configuration lists (lists arrived in 0.3.0).</summary>
    private static readonly string[] s_listVersions = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    /// <summary>Every rule the document breaks, in reading order; empty when the flannel plugin can use it.</summary>
    public static IReadOnlyList<string> Problems(string json)
    {
        JsonElement root;
        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            return [$"not JSON: {e.Message}"];
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return ["the conflist is not a JSON object"];
        }

        var problems = new List<string>();
        if (!root.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String || name.GetString() is null or "")
        {
            problems.Add("name is missing or not a non-empty string");
        }
        if (!root.TryGetProperty("cniVersion", out JsonElement version) || version.ValueKind != JsonValueKind.String)
        {
            problems.Add("cniVersion is missing or not a string");
        }
        else if (!s_listVersions.Contains(version.GetString()))
        {
            problems.Add($"cniVersion {version.GetString()} does not define plugin lists (use one of {string.Join(", ", s_listVersions)})");
        }
        if (!root.TryGetProperty("plugins", out JsonElement plugins) || plugins.ValueKind != JsonValueKind.Array || plugins.GetArrayLength() == 0)
        {
            problems.Add("plugins is missing, not a list, or empty");
            return problems;
        }

        int index = 0;
        foreach (JsonElement plugin in plugins.EnumerateArray())
        {
            if (plugin.ValueKind != JsonValueKind.Object || !plugin.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String)
            {
                problems.Add($"plugins[{index}] has no string type");
            }
            index++;
        }

        JsonElement first = plugins[0];
        if (first.ValueKind != JsonValueKind.Object || !first.TryGetProperty("type", out JsonElement firstType) || firstType.GetString() != "flannel")
        {
            problems.Add("plugins[0] is not the flannel plugin: it must come first to create the pod's interface");
            return problems;
        }
        if (!first.TryGetProperty("delegate", out JsonElement @delegate) || @delegate.ValueKind != JsonValueKind.Object)
        {
            problems.Add("the flannel plugin has no delegate object");
        }
        else if (@delegate.TryGetProperty("type", out JsonElement delegateType) && delegateType.GetString() != "bridge")
        {
            problems.Add($"the flannel plugin delegates to {delegateType} instead of bridge, which is what subnet.env's MTU and IPMASQ are meant for");
        }
        if (first.TryGetProperty("subnetFile", out JsonElement subnetFile) && subnetFile.ValueKind != JsonValueKind.String)
        {
            problems.Add("the flannel plugin's subnetFile is not a string");
        }
        return problems;
    }

    /// <summary>The subnet.env path the flannel plugin in <paramref name="json"/> reads (its subnetFile, or the default).</summary>
    public static string FlannelSubnetFile(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement flannel = document.RootElement.GetProperty("plugins")[0];
        return flannel.TryGetProperty("subnetFile", out JsonElement path) ? path.GetString()! : DefaultSubnetFile;
    }
}
