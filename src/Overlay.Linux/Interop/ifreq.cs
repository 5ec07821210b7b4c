using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <net/if.h>, so the layout test can match it field by field.

/// <summary>
/// <c>struct ifreq</c> reduced to the two members TUNSETIFF reads and writes. 40 bytes is the 64-bit size; the kernel
/// copies only its own <c>sizeof(struct ifreq)</c>, so the size is also safe on 32-bit ABIs.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal unsafe struct ifreq
{
    [FieldOffset(0)]
    public fixed byte ifr_name[Libc.IFNAMSIZ];

    [FieldOffset(16)]
    public short ifr_flags;
}
