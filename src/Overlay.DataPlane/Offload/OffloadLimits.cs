namespace Overlay.DataPlane.Offload;

/// <summary>Sizes shared by everything that reads or writes superpackets.</summary>
public static class OffloadLimits
{
    /// <summary>
    /// The longest IPv4 packet, and so the longest superpacket a TUN device hands over or accepts: slots holding
    /// superpackets need this many bytes.
    /// </summary>
    public const int MaximumPacketLength = ushort.MaxValue;
}
