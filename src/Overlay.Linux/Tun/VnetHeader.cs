using Overlay.DataPlane.Buffers;
using Overlay.Linux.Interop;

namespace Overlay.Linux.Tun;

/// <summary>
/// Converts between the kernel's <c>virtio_net_hdr</c> and the data plane's <see cref="OffloadInfo"/>, field by field. The
/// TUN's vnet header size stays at its default, sizeof(virtio_net_hdr) = 10: this project never calls TUNSETVNETHDRSZ.
/// </summary>
internal static unsafe class VnetHeader
{
    public static OffloadInfo ToOffload(virtio_net_hdr* header) => new()
    {
        Flags = (OffloadFlags)header->flags,
        GsoType = (GsoType)header->gso_type,
        HeaderLength = header->hdr_len,
        GsoSize = header->gso_size,
        ChecksumStart = header->csum_start,
        ChecksumOffset = header->csum_offset,
    };

    public static void Write(in OffloadInfo offload, virtio_net_hdr* header)
    {
        header->flags = (byte)offload.Flags;
        header->gso_type = (byte)offload.GsoType;
        header->hdr_len = offload.HeaderLength;
        header->gso_size = offload.GsoSize;
        header->csum_start = offload.ChecksumStart;
        header->csum_offset = offload.ChecksumOffset;
    }
}
