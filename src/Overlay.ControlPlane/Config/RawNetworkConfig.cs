using System.Text.Json;

namespace Overlay.ControlPlane.Config;

/// <summary>The config fields as decoded from JSON, before defaults and validation. Null means "not given".</summary>
internal sealed class RawNetworkConfig
{
    public string? Network { get; set; }

    public ulong SubnetLen { get; set; }

    public string? SubnetMin { get; set; }

    public string? SubnetMax { get; set; }

    public bool EnableIPv4 { get; set; } = true;

    public bool EnableIPv6 { get; set; }

    public bool EnableNFTables { get; set; }

    /// <summary>The Backend value exactly as given; <c>null</c> when the key is absent (which means udp).</summary>
    public JsonElement? Backend { get; set; }
}
