using System.Net;
using System.Text;
using System.Text.Json;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// The value stored under a subnet key. A udp node writes exactly <c>{"PublicIP":"1.2.3.4","PublicIPv6":null}</c>
/// (flannel's registry test checks these bytes). Reading follows Go's encoding/json: field names match
/// case-insensitively, unknown fields (BackendType, BackendData, ...) are ignored, PublicIP must be an IPv4
/// address and PublicIPv6 null, missing or an IP address; an empty string in either fails.
/// </summary>
public sealed record LeaseAttributes(uint PublicIp)
{
    public string ToJson() => $"{{\"PublicIP\":\"{Ipv4.Format(PublicIp)}\",\"PublicIPv6\":null}}";

    public byte[] ToUtf8() => Encoding.UTF8.GetBytes(ToJson());

    /// <summary>Parses a lease value; on failure <paramref name="error"/> says what is wrong (for a warning log).</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out LeaseAttributes? attributes, out string? error)
    {
        attributes = null;
        JsonDocument document;
        try
        {
            // Parse (not ParseValue) so trailing bytes fail, as they do in Go.
            document = JsonDocument.Parse(utf8Json.ToArray());
        }
        catch (JsonException e)
        {
            error = $"not JSON: {e.Message}";
            return false;
        }
        using (document)
        {
            return TryRead(document.RootElement, out attributes, out error);
        }
    }

    private static bool TryRead(JsonElement root, out LeaseAttributes? attributes, out string? error)
    {
        attributes = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = "not a JSON object";
            return false;
        }
        uint? publicIp = null;
        foreach (JsonProperty property in root.EnumerateObject())
        {
            if (string.Equals(property.Name, "PublicIP", StringComparison.OrdinalIgnoreCase))
            {
                if (property.Value.ValueKind != JsonValueKind.String || !Ipv4.TryParse(property.Value.GetString(), out uint address))
                {
                    error = $"PublicIP {property.Value.GetRawText()} is not an IPv4 address";
                    return false;
                }
                publicIp = address;
            }
            else if (string.Equals(property.Name, "PublicIPv6", StringComparison.OrdinalIgnoreCase))
            {
                bool valid = property.Value.ValueKind == JsonValueKind.Null ||
                    (property.Value.ValueKind == JsonValueKind.String && IPAddress.TryParse(property.Value.GetString(), out _));
                if (!valid)
                {
                    error = $"PublicIPv6 {property.Value.GetRawText()} is neither null nor an IP address";
                    return false;
                }
            }
        }
        // Go would read a missing PublicIP as 0.0.0.0; a route to nowhere is worse than skipping the lease.
        if (publicIp is not uint ip)
        {
            error = "PublicIP is missing";
            return false;
        }
        attributes = new LeaseAttributes(ip);
        error = null;
        return true;
    }
}
