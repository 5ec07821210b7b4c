using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/if_addr.h>.

/// <summary><c>struct ifaddrmsg</c>: fixed header of RTM_*ADDR messages.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ifaddrmsg
{
    public byte ifa_family;
    public byte ifa_prefixlen;
    public byte ifa_flags;
    public byte ifa_scope;
    public uint ifa_index;
}
