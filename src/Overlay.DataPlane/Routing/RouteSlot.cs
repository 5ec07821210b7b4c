namespace Overlay.DataPlane.Routing;

/// <summary>
/// One cell of a lookup index: the network it holds (hashed indexes compare it), that network's next hop, and the
/// next hop's peer index in the table (so outbound per-peer counting needs no second lookup).
/// </summary>
internal readonly struct RouteSlot(uint network, PeerEndpoint nextHop, int peerIndex)
{
    public uint Network { get; } = network;

    public PeerEndpoint NextHop { get; } = nextHop;

    public int PeerIndex { get; } = peerIndex;

    /// <summary>False for a default (empty) cell.</summary>
    public bool Occupied { get; } = true;
}
