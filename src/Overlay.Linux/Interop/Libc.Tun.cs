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

    /// <summary>Hand me packets with a partial checksum (NEEDS_CSUM); the base of every other offload.</summary>
    internal const uint TUN_F_CSUM = 0x01;
    internal const uint TUN_F_TSO4 = 0x02;
    internal const uint TUN_F_TSO6 = 0x04;
    internal const uint TUN_F_TSO_ECN = 0x08;

    /// <summary>UDP segmentation offload for IPv4 (Linux 6.2; not in older uapi headers, so checked against the kernel).</summary>
    internal const uint TUN_F_USO4 = 0x20;

    /// <summary>UDP segmentation offload for IPv6 (Linux 6.2).</summary>
    internal const uint TUN_F_USO6 = 0x40;

    /// <summary>The most queues one multi-queue TUN device may have (kernel-internal MAX_TAP_QUEUES, not in uapi headers).</summary>
    internal const int MAX_TAP_QUEUES = 256;
}
