namespace Overlay.DataPlane.Buffers;

/// <summary>
/// How a slot's packet may be segmented or checksummed by someone else: the fields of Linux's virtio_net_hdr,
/// which a TUN device opened with IFF_VNET_HDR puts in front of every packet it reads and expects in front of
/// every packet written. All-zero means a plain, complete packet.
/// </summary>
/// <remarks>Values are in host byte order, as the kernel exchanges them on little-endian machines.</remarks>
public struct OffloadInfo
{
    /// <summary><see cref="OffloadFlags"/>: whether the L4 checksum still has to be completed.</summary>
    public OffloadFlags Flags;

    /// <summary>What kind of superpacket this is and how to cut it (<see cref="GsoType"/>).</summary>
    public GsoType GsoType;

    /// <summary>Length of the L3 plus L4 headers. Untrusted on read: recompute before use.</summary>
    public ushort HeaderLength;

    /// <summary>Payload bytes per segment (the MSS for TCP) when <see cref="GsoType"/> is not <see cref="GsoType.None"/>.</summary>
    public ushort GsoSize;

    /// <summary>Where checksumming starts (the L4 header's offset) when <see cref="OffloadFlags.NeedsChecksum"/> is set.</summary>
    public ushort ChecksumStart;

    /// <summary>Offset of the checksum field from <see cref="ChecksumStart"/>: 16 for TCP, 6 for UDP.</summary>
    public ushort ChecksumOffset;

    public static OffloadInfo None => default;
}

/// <summary>virtio_net_hdr flags.</summary>
[Flags]
public enum OffloadFlags : byte
{
    None = 0,

    /// <summary>The L4 checksum field holds only the pseudo-header sum; the rest is still to be added (CHECKSUM_PARTIAL).</summary>
    NeedsChecksum = 1,

    /// <summary>The checksum was already verified; the receiver need not check it again.</summary>
    DataValid = 2,
}

/// <summary>virtio_net_hdr gso_type values.</summary>
public enum GsoType : byte
{
    None = 0,
    TcpV4 = 1,
    TcpV6 = 4,
    UdpL4 = 5,

    /// <summary>Flag bit on a TCP type: the segments carry ECN's congestion-window-reduced bit.</summary>
    Ecn = 0x80,
}
