using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Config;

/// <summary>
/// The validated network config from <c>&lt;prefix&gt;/config</c>, with flannel's defaults applied
/// (<see cref="NetworkConfigParser"/>). Immutable; safe to share between threads.
/// </summary>
public sealed record NetworkConfig
{
    /// <summary>The whole overlay network, reduced to its network address (e.g. 10.244.0.0/16).</summary>
    public required Ipv4Subnet Network { get; init; }

    /// <summary>Prefix length of each node's subnet (e.g. 24).</summary>
    public required int SubnetLen { get; init; }

    /// <summary>Lowest subnet a node may be given (host byte order); by default the network's second subnet.</summary>
    public required uint SubnetMin { get; init; }

    /// <summary>Highest subnet a node may be given (host byte order); by default the network's last subnet.</summary>
    public required uint SubnetMax { get; init; }

    /// <summary>
    /// True when the config asked for IPv6. Accepted for compatibility, but the udp backend has no IPv6 data path:
    /// no IPv6 subnet is allocated and <see cref="Warnings"/> says so.
    /// </summary>
    public bool EnableIPv6 { get; init; }

    /// <summary>flannel's nftables switch; carried for the daemon, which decides what to do with it.</summary>
    public bool EnableNFTables { get; init; }

    /// <summary>Lowercased <c>Backend.Type</c>; always "udp" once validated.</summary>
    public string BackendType { get; init; } = NetworkConfigParser.UdpBackend;

    /// <summary>UDP port every node listens on and sends to (<c>Backend.Port</c>, default 8285).</summary>
    public int BackendPort { get; init; } = NetworkConfigParser.DefaultUdpPort;

    /// <summary>Things that were accepted but deserve a log line (one entry per line).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The subnet of the given length starting at <paramref name="network"/>.</summary>
    public Ipv4Subnet SubnetAt(uint network) => new(network, SubnetLen);

    /// <summary>
    /// flannel's compatibility rule for reusing a lease: same prefix length, network inside [SubnetMin, SubnetMax].
    /// </summary>
    public bool IsCompatible(Ipv4Subnet subnet) =>
        subnet.PrefixLength == SubnetLen && subnet.Network >= SubnetMin && subnet.Network <= SubnetMax;
}
