using System.Text.Json;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Config;

/// <summary>
/// flannel's CheckNetworkConfig for IPv4 (rule A) plus what this daemon needs: udp as the only backend, a usable
/// Backend.Port, IPv4 enabled. Every error names the field, the bad value and the fix.
/// </summary>
internal static class NetworkConfigValidator
{
    private const int MaxSubnetLen = 30;
    private const int SmallestNetworkPrefix = 28;

    public static NetworkConfig Validate(RawNetworkConfig raw)
    {
        if (!raw.EnableIPv4)
        {
            throw new NetworkConfigException("EnableIPv4", "EnableIPv4 false: this daemon forwards IPv4 only (the udp backend has no IPv6 data path); set EnableIPv4 to true or remove it");
        }
        Ipv4Subnet network = ParseNetwork(raw.Network);
        int subnetLen = ResolveSubnetLen(raw.SubnetLen, network);
        uint subnetSize = 1u << (32 - subnetLen);
        uint subnetMin = ResolveBound("SubnetMin", raw.SubnetMin, network, subnetLen, network.Network + subnetSize);
        uint subnetMax = ResolveBound("SubnetMax", raw.SubnetMax, network, subnetLen, (uint)(network.Network + network.Size - subnetSize));
        (string backendType, int port) = ParseBackend(raw.Backend);

        var warnings = new List<string>();
        if (raw.EnableIPv6)
        {
            warnings.Add("EnableIPv6 is true: the udp backend has no IPv6 data path, so IPv6 settings are ignored and leases carry IPv4 only");
        }
        return new NetworkConfig
        {
            Network = network,
            SubnetLen = subnetLen,
            SubnetMin = subnetMin,
            SubnetMax = subnetMax,
            EnableIPv6 = raw.EnableIPv6,
            EnableNFTables = raw.EnableNFTables,
            BackendType = backendType,
            BackendPort = port,
            Warnings = warnings,
        };
    }

    private static Ipv4Subnet ParseNetwork(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            throw new NetworkConfigException("Network", "Network is missing: it must be defined; add e.g. \"Network\": \"10.244.0.0/16\"");
        }
        return Ipv4Subnet.TryParse(text, out Ipv4Subnet network)
            ? network
            : throw new NetworkConfigException("Network", $"Network \"{text}\": not an IPv4 CIDR; write it as a.b.c.d/len, e.g. \"10.244.0.0/16\"");
    }

    /// <summary>The default SubnetLen flannel picks for a network, or null when the network is too small.</summary>
    internal static int? DefaultSubnetLen(int networkPrefix) => networkPrefix switch
    {
        > SmallestNetworkPrefix => null,
        <= 22 => 24,
        _ => networkPrefix + 2,
    };

    private static int ResolveSubnetLen(ulong given, Ipv4Subnet network)
    {
        int prefix = network.PrefixLength;
        int? suggested = DefaultSubnetLen(prefix);
        string advice = suggested is int s ? $"use {s} for a /{prefix} Network" : $"use a /{SmallestNetworkPrefix} or larger Network";
        if (given > 0)
        {
            if (given > MaxSubnetLen)
            {
                throw new NetworkConfigException("SubnetLen", $"SubnetLen {given}: must be at most {MaxSubnetLen}; {advice}");
            }
            if ((int)given < prefix + 2)
            {
                throw new NetworkConfigException("SubnetLen", $"SubnetLen {given}: a /{prefix} Network must hold at least four subnets, so SubnetLen must be at least {prefix + 2}; {advice}");
            }
            return (int)given;
        }
        return suggested ?? throw new NetworkConfigException("Network", $"Network {network}: too small, a /{prefix} cannot hold four subnets; use a /{SmallestNetworkPrefix} or larger Network (a shorter prefix)");
    }

    private static uint ResolveBound(string field, string? text, Ipv4Subnet network, int subnetLen, uint fallback)
    {
        if (text is null)
        {
            return fallback;
        }
        if (!Ipv4.TryParse(text, out uint address))
        {
            throw new NetworkConfigException(field, $"{field} \"{text}\": not an IPv4 address; write it as a.b.c.d, e.g. \"{Ipv4.Format(fallback)}\"");
        }
        if (address == 0)
        {
            return fallback;
        }
        if (!network.Contains(address))
        {
            throw new NetworkConfigException(field, $"{field} {text}: not inside Network {network}; use an address inside it, e.g. {Ipv4.Format(fallback)}, or remove {field}");
        }
        uint aligned = address & Ipv4Subnet.MaskOf(subnetLen);
        if (aligned != address)
        {
            throw new NetworkConfigException(field, $"{field} {text}: not on a /{subnetLen} boundary (SubnetLen {subnetLen}); use {Ipv4.Format(aligned)}");
        }
        return address;
    }

    private static (string Type, int Port) ParseBackend(JsonElement? backend)
    {
        if (backend is not JsonElement element)
        {
            return (NetworkConfigParser.UdpBackend, NetworkConfigParser.DefaultUdpPort);
        }
        const string fix = "set \"Backend\": {\"Type\": \"udp\"} or remove Backend";
        if (element.ValueKind == JsonValueKind.Null)
        {
            throw new NetworkConfigException("Backend.Type", $"Backend null: no backend type is given; {fix}");
        }
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new NetworkConfigException("Backend", $"Backend {element.GetRawText()}: must be a JSON object; {fix}");
        }
        string type = "";
        int port = NetworkConfigParser.DefaultUdpPort;
        JsonElement? portValue = null;
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, "Type", StringComparison.OrdinalIgnoreCase))
            {
                type = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Null => type,
                    _ => throw new NetworkConfigException("Backend.Type", $"Backend.Type {property.Value.GetRawText()}: must be a JSON string; {fix}"),
                };
            }
            else if (string.Equals(property.Name, "Port", StringComparison.OrdinalIgnoreCase))
            {
                portValue = property.Value;
            }
        }
        type = type.ToLowerInvariant();
        if (type.Length == 0)
        {
            throw new NetworkConfigException("Backend.Type", $"Backend.Type is missing: Backend is present but names no type; {fix}");
        }
        if (type != NetworkConfigParser.UdpBackend)
        {
            throw new NetworkConfigException("Backend.Type", $"Backend.Type \"{type}\": this daemon implements only the udp backend; set \"Type\": \"udp\" on every node, or run flanneld for {type}");
        }
        if (portValue is JsonElement p && p.ValueKind != JsonValueKind.Null)
        {
            if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out port) || port is < 1 or > 65535)
            {
                throw new NetworkConfigException("Backend.Port", $"Backend.Port {p.GetRawText()}: must be a whole number from 1 to 65535; use {NetworkConfigParser.DefaultUdpPort} (the default), the same on every node");
            }
        }
        return (type, port);
    }
}
