namespace Overlay.Linux.Interop;

/// <summary>TUN/TAP ioctls and flags from &lt;linux/if_tun.h&gt;, values checked against the C headers by the tests.</summary>
internal static partial class Libc
{
    internal const int IFNAMSIZ = 16;

    /// <summary><c>_IOW('T', 202, int)</c>: attach the fd to a (new) device named by <c>ifreq.ifr_name</c>.</summary>
    internal const int TUNSETIFF = 0x400454CA;

    /// <summary><c>_IOW('T', 208, unsigned int)</c>: enable TUN_F_* offloads; used once vnet headers are on.</summary>
    internal const int TUNSETOFFLOAD = 0x400454D0;

    internal const short IFF_TUN = 0x0001;
    internal const short IFF_NO_PI = 0x1000;
    internal const short IFF_MULTI_QUEUE = 0x0100;
    internal const short IFF_VNET_HDR = 0x4000;
}
