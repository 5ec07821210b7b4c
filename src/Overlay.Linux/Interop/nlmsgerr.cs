using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/netlink.h>.

/// <summary><c>struct nlmsgerr</c>: payload of NLMSG_ERROR; <c>error</c> is 0 for an ACK, else a negative errno.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct nlmsgerr
{
    public int error;
    public nlmsghdr msg;
}
