using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/rtnetlink.h>.

/// <summary><c>struct rtnexthop</c>: one next hop inside an RTA_MULTIPATH attribute.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtnexthop
{
    public ushort rtnh_len;
    public byte rtnh_flags;
    public byte rtnh_hops;
    public int rtnh_ifindex;
}
