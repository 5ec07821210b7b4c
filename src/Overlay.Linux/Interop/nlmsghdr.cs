using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/netlink.h>.

/// <summary><c>struct nlmsghdr</c>: the 16-byte header in front of every netlink message.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsghdr
{
    public uint nlmsg_len;
    public ushort nlmsg_type;
    public ushort nlmsg_flags;
    public uint nlmsg_seq;
    public uint nlmsg_pid;
}
