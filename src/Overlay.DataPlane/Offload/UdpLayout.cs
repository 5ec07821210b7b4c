namespace Overlay.DataPlane.Offload;

/// <summary>UDP header offsets (RFC 768), relative to the start of the UDP header.</summary>
internal static class UdpLayout
{
    public const int HeaderLength = 8;
    public const int LengthOffset = 4;
    public const int ChecksumOffset = 6;
}
