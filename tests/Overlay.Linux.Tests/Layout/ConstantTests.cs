using Overlay.DataPlane.Buffers;
using Overlay.Linux.Interop;
using Overlay.Linux.Tun;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Layout;

/// <summary>Every constant the project hard-codes, or takes from Tmds.LibC, equals the C headers' value.</summary>
public sealed class ConstantTests
{
    public static TheoryData<string, long> Constants => new()
    {
        { "IFNAMSIZ", Libc.IFNAMSIZ },
        { "TUNSETIFF", Libc.TUNSETIFF },
        { "TUNSETOFFLOAD", Libc.TUNSETOFFLOAD },
        { "IFF_TUN", Libc.IFF_TUN },
        { "IFF_NO_PI", Libc.IFF_NO_PI },
        { "IFF_MULTI_QUEUE", Libc.IFF_MULTI_QUEUE },
        { "IFF_VNET_HDR", Libc.IFF_VNET_HDR },
        { "TUN_F_CSUM", Libc.TUN_F_CSUM },
        { "TUN_F_TSO4", Libc.TUN_F_TSO4 },
        { "TUN_F_TSO6", Libc.TUN_F_TSO6 },
        { "TUN_F_TSO_ECN", Libc.TUN_F_TSO_ECN },
        { "VIRTIO_NET_HDR_F_NEEDS_CSUM", (long)OffloadFlags.NeedsChecksum },
        { "VIRTIO_NET_HDR_F_DATA_VALID", (long)OffloadFlags.DataValid },
        { "VIRTIO_NET_HDR_GSO_NONE", (long)GsoType.None },
        { "VIRTIO_NET_HDR_GSO_TCPV4", (long)GsoType.TcpV4 },
        { "VIRTIO_NET_HDR_GSO_TCPV6", (long)GsoType.TcpV6 },
        { "VIRTIO_NET_HDR_GSO_ECN", (long)GsoType.Ecn },
        { "SOL_UDP", Libc.SOL_UDP },
        { "UDP_SEGMENT", Libc.UDP_SEGMENT },
        { "UDP_GRO", Libc.UDP_GRO },
        { "CMSG_LEN_0", Cmsg.Len(0) },
        { "CMSG_LEN_U16", Cmsg.Len(sizeof(ushort)) },
        { "CMSG_SPACE_U16", Cmsg.Space(sizeof(ushort)) },
        { "CMSG_LEN_INT", Cmsg.Len(sizeof(int)) },
        { "CMSG_SPACE_INT", Cmsg.Space(sizeof(int)) },
        { "IFF_UP", Libc.IFF_UP },
        { "IFF_LOOPBACK", Libc.IFF_LOOPBACK },
        { "NETLINK_ROUTE", Libc.NETLINK_ROUTE },
        { "NETLINK_EXT_ACK", Libc.NETLINK_EXT_ACK },
        { "NLM_F_REQUEST", Libc.NLM_F_REQUEST },
        { "NLM_F_MULTI", Libc.NLM_F_MULTI },
        { "NLM_F_ACK", Libc.NLM_F_ACK },
        { "NLM_F_DUMP_INTR", Libc.NLM_F_DUMP_INTR },
        { "NLM_F_DUMP", Libc.NLM_F_DUMP },
        { "NLM_F_EXCL", Libc.NLM_F_EXCL },
        { "NLM_F_CREATE", Libc.NLM_F_CREATE },
        { "NLM_F_CAPPED", Libc.NLM_F_CAPPED },
        { "NLM_F_ACK_TLVS", Libc.NLM_F_ACK_TLVS },
        { "NLMSG_NOOP", Libc.NLMSG_NOOP },
        { "NLMSG_ERROR", Libc.NLMSG_ERROR },
        { "NLMSG_DONE", Libc.NLMSG_DONE },
        { "NLMSGERR_ATTR_MSG", Libc.NLMSGERR_ATTR_MSG },
        { "RTM_NEWLINK", Libc.RTM_NEWLINK },
        { "RTM_GETLINK", Libc.RTM_GETLINK },
        { "RTM_SETLINK", Libc.RTM_SETLINK },
        { "RTM_NEWADDR", Libc.RTM_NEWADDR },
        { "RTM_DELADDR", Libc.RTM_DELADDR },
        { "RTM_GETADDR", Libc.RTM_GETADDR },
        { "RTM_NEWROUTE", Libc.RTM_NEWROUTE },
        { "RTM_DELROUTE", Libc.RTM_DELROUTE },
        { "RTM_GETROUTE", Libc.RTM_GETROUTE },
        { "IFLA_IFNAME", Libc.IFLA_IFNAME },
        { "IFLA_MTU", Libc.IFLA_MTU },
        { "IFLA_TXQLEN", Libc.IFLA_TXQLEN },
        { "IFA_ADDRESS", Libc.IFA_ADDRESS },
        { "IFA_LOCAL", Libc.IFA_LOCAL },
        { "RTA_DST", Libc.RTA_DST },
        { "RTA_OIF", Libc.RTA_OIF },
        { "RTA_PRIORITY", Libc.RTA_PRIORITY },
        { "RTA_MULTIPATH", Libc.RTA_MULTIPATH },
        { "RTA_TABLE", Libc.RTA_TABLE },
        { "RT_TABLE_MAIN", Libc.RT_TABLE_MAIN },
        { "RTPROT_BOOT", Libc.RTPROT_BOOT },
        { "RT_SCOPE_UNIVERSE", Libc.RT_SCOPE_UNIVERSE },
        { "RT_SCOPE_NOWHERE", Libc.RT_SCOPE_NOWHERE },
        { "RTN_UNICAST", Libc.RTN_UNICAST },
        { "AF_INET", LibC.AF_INET },
        { "AF_NETLINK", LibC.AF_NETLINK },
        { "SOL_NETLINK", LibC.SOL_NETLINK },
        { "SOCK_DGRAM", LibC.SOCK_DGRAM },
        { "SOCK_RAW", LibC.SOCK_RAW },
        { "SOCK_NONBLOCK", LibC.SOCK_NONBLOCK },
        { "SOCK_CLOEXEC", LibC.SOCK_CLOEXEC },
        { "SO_RCVBUF", LibC.SO_RCVBUF },
        { "SO_SNDBUF", LibC.SO_SNDBUF },
        { "SO_RCVBUFFORCE", LibC.SO_RCVBUFFORCE },
        { "SO_SNDBUFFORCE", LibC.SO_SNDBUFFORCE },
        { "MSG_DONTWAIT", LibC.MSG_DONTWAIT },
        { "MSG_TRUNC", LibC.MSG_TRUNC },
        { "SO_REUSEPORT", LibC.SO_REUSEPORT },
        { "POLLIN", LibC.POLLIN },
        { "POLLOUT", LibC.POLLOUT },
        { "POLLNVAL", LibC.POLLNVAL },
        { "EFD_CLOEXEC", LibC.EFD_CLOEXEC },
        { "EFD_NONBLOCK", LibC.EFD_NONBLOCK },
        { "CLONE_NEWNET", LibC.CLONE_NEWNET },
        { "EINTR", LibC.EINTR },
        { "EAGAIN", LibC.EAGAIN },
        { "EEXIST", LibC.EEXIST },
        { "ESRCH", LibC.ESRCH },
        { "ENODEV", LibC.ENODEV },
        { "EBADFD", LibC.EBADFD },
        { "EIO", LibC.EIO },
        { "EINVAL", LibC.EINVAL },
        { "EOPNOTSUPP", LibC.EOPNOTSUPP },
        { "EMSGSIZE", LibC.EMSGSIZE },
    };

    /// <summary>
    /// Constants that first appeared in the Linux 6.2 uapi headers. Older headers cannot vouch for them; the
    /// privileged offload tests then check them against the running kernel (it accepts the USO bits and returns
    /// UDP_L4 superpackets).
    /// </summary>
    public static TheoryData<string, long> Linux62Constants => new()
    {
        { "TUN_F_USO4", Libc.TUN_F_USO4 },
        { "TUN_F_USO6", Libc.TUN_F_USO6 },
        { "VIRTIO_NET_HDR_GSO_UDP_L4", (long)GsoType.UdpL4 },
    };

    private const long Linux62VersionCode = (6 << 16) | (2 << 8);

    [Theory]
    [MemberData(nameof(Constants))]
    public void Matches_the_c_headers(string name, long managed) => Assert.Equal(NativeProbe.Get("const " + name), managed);

    [Theory]
    [MemberData(nameof(Linux62Constants))]
    public void Matches_the_c_headers_when_they_are_new_enough(string name, long managed)
    {
        if (NativeProbe.Values.TryGetValue("const " + name, out long native))
        {
            Assert.Equal(native, managed);
        }
        else
        {
            long headers = NativeProbe.Get("const UAPI_VERSION_CODE");
            Assert.True(headers < Linux62VersionCode, $"uapi headers {headers >> 16}.{(headers >> 8) & 0xFF} should define {name}");
        }
    }

    [Fact]
    public void Tun_offload_flags_mirror_the_tun_f_values()
    {
        Assert.Equal(Libc.TUN_F_CSUM, (uint)TunOffloads.Checksum);
        Assert.Equal(Libc.TUN_F_TSO4, (uint)TunOffloads.Tso4);
        Assert.Equal(Libc.TUN_F_TSO6, (uint)TunOffloads.Tso6);
        Assert.Equal(Libc.TUN_F_TSO_ECN, (uint)TunOffloads.TsoEcn);
        Assert.Equal(Libc.TUN_F_USO4, (uint)TunOffloads.Uso4);
        Assert.Equal(Libc.TUN_F_USO6, (uint)TunOffloads.Uso6);
    }

    [Fact]
    public void Every_constant_the_probe_prints_is_checked()
    {
        var checkedNames = Constants.Concat(Linux62Constants).Select(row => (string)row[0]).Append("UAPI_VERSION_CODE").ToHashSet();
        string[] missing = NativeProbe.Values.Keys.Where(k => k.StartsWith("const ", StringComparison.Ordinal))
            .Select(k => k["const ".Length..]).Where(name => !checkedNames.Contains(name)).ToArray();
        Assert.Empty(missing);
    }
}
