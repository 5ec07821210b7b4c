using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Overlay.Linux.Interop;

internal static unsafe partial class Libc
{
    // Tmds.LibC 0.5.0 has iovec but not the vectored read/write calls; a TUN fd with IFF_VNET_HDR needs both, to
    // keep the virtio_net_hdr out of the packet slot without copying.

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint readv(int fd, iovec* iov, int iovcnt);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial nint writev(int fd, iovec* iov, int iovcnt);
}
