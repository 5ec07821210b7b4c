using System.Globalization;
using System.Text.Json;

namespace Overlay.ControlPlane.Config;

/// <summary>
/// Decodes <c>&lt;prefix&gt;/config</c> the way flanneld does with Go's encoding/json: keys match
/// case-insensitively, unknown keys are ignored, the last duplicate wins, a JSON null leaves a number or bool at
/// its default, and EnableIPv4 starts out true. Then applies flannel's defaults and validation
/// (<see cref="NetworkConfigValidator"/>). Stateless and thread-safe.
/// </summary>
public static class NetworkConfigParser
{
    public const string UdpBackend = "udp";

    public const int DefaultUdpPort = 8285;

    /// <summary>Parses and validates a config document; throws <see cref="NetworkConfigException"/> naming the field.</summary>
    public static NetworkConfig Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new NetworkConfigException("config", $"config is not valid JSON ({e.Message}); write a JSON object such as {{\"Network\": \"10.244.0.0/16\"}}");
        }
        using (document)
        {
            RawNetworkConfig raw = Decode(document.RootElement);
            return NetworkConfigValidator.Validate(raw);
        }
    }

    private static RawNetworkConfig Decode(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new NetworkConfigException("config", $"config is a JSON {Describe(root.ValueKind)}; write a JSON object such as {{\"Network\": \"10.244.0.0/16\"}}");
        }
        var raw = new RawNetworkConfig();
        foreach (JsonProperty property in root.EnumerateObject())
        {
            JsonElement value = property.Value;
            switch (property.Name.ToUpperInvariant())
            {
                case "NETWORK":
                    raw.Network = ReadAddressText("Network", value, "\"10.244.0.0/16\"");
                    break;
                case "SUBNETLEN":
                    raw.SubnetLen = ReadUnsigned("SubnetLen", value, raw.SubnetLen);
                    break;
                case "SUBNETMIN":
                    raw.SubnetMin = ReadAddressText("SubnetMin", value, "\"10.244.1.0\"");
                    break;
                case "SUBNETMAX":
                    raw.SubnetMax = ReadAddressText("SubnetMax", value, "\"10.244.254.0\"");
                    break;
                case "ENABLEIPV4":
                    raw.EnableIPv4 = ReadBool("EnableIPv4", value, raw.EnableIPv4);
                    break;
                case "ENABLEIPV6":
                    raw.EnableIPv6 = ReadBool("EnableIPv6", value, raw.EnableIPv6);
                    break;
                case "ENABLENFTABLES":
                    raw.EnableNFTables = ReadBool("EnableNFTables", value, raw.EnableNFTables);
                    break;
                case "BACKEND":
                    raw.Backend = value.Clone();
                    break;
                default:
                    break;
            }
        }
        return raw;
    }

    // Go's IP types unmarshal from a JSON string; even null reaches their decoder and fails there.
    private static string ReadAddressText(string field, JsonElement value, string example) =>
        value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new NetworkConfigException(field, $"{field} {value.GetRawText()}: must be a JSON string; write it in quotes, e.g. {example}");

    private static ulong ReadUnsigned(string field, JsonElement value, ulong current) => value.ValueKind switch
    {
        JsonValueKind.Null => current,
        JsonValueKind.Number when value.TryGetUInt64(out ulong number) => number,
        _ => throw new NetworkConfigException(field, $"{field} {value.GetRawText()}: must be a non-negative whole JSON number; write e.g. 24 without quotes"),
    };

    private static bool ReadBool(string field, JsonElement value, bool current) => value.ValueKind switch
    {
        JsonValueKind.Null => current,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new NetworkConfigException(field, $"{field} {value.GetRawText()}: must be true or false, without quotes"),
    };

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLower(CultureInfo.InvariantCulture),
    };
}
