using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/virtio_net.h>.

/// <summary>
/// <c>struct virtio_net_hdr</c>: the 10 bytes a TUN fd opened with IFF_VNET_HDR puts in front of every packet read
/// and expects in front of every packet written. The 16-bit fields are in host byte order (legacy virtio, no
/// TUNSETVNETLE/BE).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct virtio_net_hdr
{
    public byte flags;
    public byte gso_type;
    public ushort hdr_len;
    public ushort gso_size;
    public ushort csum_start;
    public ushort csum_offset;
}
