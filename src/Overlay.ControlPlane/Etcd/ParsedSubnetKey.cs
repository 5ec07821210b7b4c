using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// A subnet key as flannel reads it. <see cref="Subnet"/> has host bits cleared; <see cref="IsCanonical"/> says
/// whether the key text is exactly what flannel would write for that subnet (no host bits, no leading zeros).
/// <see cref="Ipv6Subnet"/> is the dual-stack part as text ("fd00:12:13::/56"), unused by the udp backend.
/// </summary>
public readonly record struct ParsedSubnetKey(Ipv4Subnet Subnet, bool IsCanonical, string? Ipv6Subnet);
