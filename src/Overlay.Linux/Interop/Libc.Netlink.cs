namespace Overlay.Linux.Interop;

/// <summary>
/// rtnetlink constants from &lt;linux/netlink.h&gt;, &lt;linux/rtnetlink.h&gt;, &lt;linux/if_link.h&gt; and
/// &lt;linux/if_addr.h&gt;: only the ones this project sends or parses, each checked against the headers by the tests.
/// </summary>
internal static partial class Libc
{
    internal const int NETLINK_ROUTE = 0;
    internal const int NETLINK_EXT_ACK = 11;

    internal const ushort NLM_F_REQUEST = 0x01;
    internal const ushort NLM_F_MULTI = 0x02;
    internal const ushort NLM_F_ACK = 0x04;
    internal const ushort NLM_F_DUMP_INTR = 0x10;
    internal const ushort NLM_F_DUMP = 0x300;
    internal const ushort NLM_F_EXCL = 0x200;
    internal const ushort NLM_F_CREATE = 0x400;
    internal const ushort NLM_F_CAPPED = 0x100;
    internal const ushort NLM_F_ACK_TLVS = 0x200;

    internal const ushort NLMSG_NOOP = 1;
    internal const ushort NLMSG_ERROR = 2;
    internal const ushort NLMSG_DONE = 3;
    internal const ushort NLMSGERR_ATTR_MSG = 1;

    internal const ushort RTM_NEWLINK = 16;
    internal const ushort RTM_GETLINK = 18;
    internal const ushort RTM_SETLINK = 19;
    internal const ushort RTM_NEWADDR = 20;
    internal const ushort RTM_DELADDR = 21;
    internal const ushort RTM_GETADDR = 22;
    internal const ushort RTM_NEWROUTE = 24;
    internal const ushort RTM_DELROUTE = 25;
    internal const ushort RTM_GETROUTE = 26;

    internal const ushort IFLA_IFNAME = 3;
    internal const ushort IFLA_MTU = 4;
    internal const ushort IFLA_TXQLEN = 13;

    internal const ushort IFA_ADDRESS = 1;
    internal const ushort IFA_LOCAL = 2;

    internal const ushort RTA_DST = 1;
    internal const ushort RTA_OIF = 4;
    internal const ushort RTA_PRIORITY = 6;
    internal const ushort RTA_MULTIPATH = 9;
    internal const ushort RTA_TABLE = 15;

    internal const byte RT_TABLE_MAIN = 254;
    internal const byte RTPROT_BOOT = 3;
    internal const byte RT_SCOPE_UNIVERSE = 0;
    internal const byte RT_SCOPE_NOWHERE = 255;
    internal const byte RTN_UNICAST = 1;

    internal const uint IFF_UP = 0x1;
    internal const uint IFF_LOOPBACK = 0x8;
}
