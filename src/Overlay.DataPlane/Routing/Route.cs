namespace Overlay.DataPlane.Routing;

/// <summary>One peer's lease as the data plane sees it: its subnet and where to send packets for it.</summary>
public readonly record struct Route(Ipv4Subnet Subnet, PeerEndpoint NextHop);
