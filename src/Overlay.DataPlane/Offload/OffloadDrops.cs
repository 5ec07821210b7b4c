using Overlay.DataPlane.Forwarding;

namespace Overlay.DataPlane.Offload;

/// <summary>How offload-specific drops are counted until <see cref="DropReason"/> has a reason of their own.</summary>
internal static class OffloadDrops
{
    /// <summary>
    /// Offload metadata that does not fit the packet: an unknown GSO type, a GSO size of 0, a transport header
    /// outside the packet or of the wrong protocol, a fragment, no payload, a checksum field outside the packet, or
    /// segments that cannot fit the output slots. Counted as a bad header until a dedicated reason exists.
    /// </summary>
    public const DropReason Malformed = DropReason.BadHeaderLength;
}
