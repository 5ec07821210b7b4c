namespace Overlay.Linux.Interop;

/// <summary>UDP segmentation and receive-coalescing options from &lt;linux/udp.h&gt;, checked against the headers by the tests.</summary>
internal static partial class Libc
{
    /// <summary>The socket level of UDP options (= IPPROTO_UDP).</summary>
    internal const int SOL_UDP = 17;

    /// <summary>
    /// As a setsockopt: the socket's default GSO segment size (0 = off), which doubles as the probe for support (Linux
    /// 4.18). As a cmsg on one message: <c>u16</c> segment size; the kernel cuts the payload into datagrams of that
    /// size, the last one possibly shorter.
    /// </summary>
    internal const int UDP_SEGMENT = 103;

    /// <summary>
    /// As a setsockopt (int 1): let the kernel hand this socket coalesced datagrams (Linux 5.0 for GSO'd loopback and
    /// forwarded traffic). As a received cmsg: <c>int</c> segment size of the coalesced message.
    /// </summary>
    internal const int UDP_GRO = 104;

    /// <summary>
    /// Kernel-internal <c>UDP_MAX_SEGMENTS</c> (include/linux/udp.h, not uapi): the most datagrams one UDP_SEGMENT send
    /// may carry, and the most one GRO'd message holds.
    /// </summary>
    internal const int UDP_MAX_SEGMENTS = 64;

    /// <summary>The largest UDP payload over IPv4: 65535 - 20 (IPv4 header) - 8 (UDP header).</summary>
    internal const int UDP_MAX_IPV4_PAYLOAD = 65507;
}
