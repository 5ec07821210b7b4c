using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/rtnetlink.h>.

/// <summary><c>struct rtattr</c>: the type-length header of one route attribute; <c>rta_len</c> includes these 4 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtattr
{
    public ushort rta_len;
    public ushort rta_type;
}
