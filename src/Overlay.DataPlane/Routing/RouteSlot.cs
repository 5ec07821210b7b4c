namespace Overlay.DataPlane.Routing;

/// <summary>One cell of a lookup index: the network it holds (hashed indexes compare it) and that network's next hop.</summary>
internal readonly struct RouteSlot(uint network, PeerEndpoint nextHop)
{
    public uint Network { get; } = network;

    public PeerEndpoint NextHop { get; } = nextHop;

    /// <summary>False for a default (empty) cell.</summary>
    public bool Occupied { get; } = true;
}
