namespace Overlay.DataPlane.Routing;

/// <summary>Where encapsulated packets go: a peer host's public IPv4 address (host byte order) and UDP port.</summary>
public readonly record struct PeerEndpoint(uint Address, ushort Port)
{
    public override string ToString() => $"{Ipv4.Format(Address)}:{Port}";
}
