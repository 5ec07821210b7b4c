using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

#pragma warning disable CS8981 // Named exactly as in <linux/netlink.h>.

/// <summary><c>struct sockaddr_nl</c>: a netlink socket address; port id 0 is the kernel.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct sockaddr_nl
{
    public ushort nl_family;
    public ushort nl_pad;
    public uint nl_pid;
    public uint nl_groups;
}
