using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/rtnetlink.h>.

/// <summary><c>struct rtmsg</c>: fixed header of RTM_*ROUTE messages.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct rtmsg
{
    public byte rtm_family;
    public byte rtm_dst_len;
    public byte rtm_src_len;
    public byte rtm_tos;
    public byte rtm_table;
    public byte rtm_protocol;
    public byte rtm_scope;
    public byte rtm_type;
    public uint rtm_flags;
}
