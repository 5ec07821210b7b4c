/* Prints the sizes, member offsets and member sizes of the native structs Overlay.Linux uses, and the values of the
 * constants it hard-codes, as "key value" lines. StructLayoutTests compiles this with gcc and compares every line
 * with the managed side. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/version.h>
#include <linux/virtio_net.h>

#define SIZE(type) printf("sizeof %s %zu\n", #type, sizeof(type))
#define FIELD(type, member) \
    printf("offsetof %s.%s %zu\n", #type, #member, offsetof(type, member)); \
    printf("fieldsize %s.%s %zu\n", #type, #member, sizeof(((type *)0)->member))
#define CONSTANT(name) printf("const %s %lld\n", #name, (long long)(name))
#define NAMED(name, value) printf("const %s %lld\n", name, (long long)(value))

int main(void)
{
    SIZE(struct iovec);
    FIELD(struct iovec, iov_base);
    FIELD(struct iovec, iov_len);

    SIZE(struct msghdr);
    FIELD(struct msghdr, msg_name);
    FIELD(struct msghdr, msg_namelen);
    FIELD(struct msghdr, msg_iov);
    FIELD(struct msghdr, msg_iovlen);
    FIELD(struct msghdr, msg_control);
    FIELD(struct msghdr, msg_controllen);
    FIELD(struct msghdr, msg_flags);

    SIZE(struct mmsghdr);
    FIELD(struct mmsghdr, msg_hdr);
    FIELD(struct mmsghdr, msg_len);

    SIZE(struct sockaddr_in);
    FIELD(struct sockaddr_in, sin_family);
    FIELD(struct sockaddr_in, sin_port);
    FIELD(struct sockaddr_in, sin_addr);

    SIZE(struct pollfd);
    FIELD(struct pollfd, fd);
    FIELD(struct pollfd, events);
    FIELD(struct pollfd, revents);

    SIZE(struct ifreq);
    FIELD(struct ifreq, ifr_name);
    FIELD(struct ifreq, ifr_flags);

    SIZE(struct sockaddr_nl);
    FIELD(struct sockaddr_nl, nl_family);
    FIELD(struct sockaddr_nl, nl_pad);
    FIELD(struct sockaddr_nl, nl_pid);
    FIELD(struct sockaddr_nl, nl_groups);

    SIZE(struct nlmsghdr);
    FIELD(struct nlmsghdr, nlmsg_len);
    FIELD(struct nlmsghdr, nlmsg_type);
    FIELD(struct nlmsghdr, nlmsg_flags);
    FIELD(struct nlmsghdr, nlmsg_seq);
    FIELD(struct nlmsghdr, nlmsg_pid);

    SIZE(struct nlmsgerr);
    FIELD(struct nlmsgerr, error);
    FIELD(struct nlmsgerr, msg);

    SIZE(struct ifinfomsg);
    FIELD(struct ifinfomsg, ifi_family);
    FIELD(struct ifinfomsg, __ifi_pad);
    FIELD(struct ifinfomsg, ifi_type);
    FIELD(struct ifinfomsg, ifi_index);
    FIELD(struct ifinfomsg, ifi_flags);
    FIELD(struct ifinfomsg, ifi_change);

    SIZE(struct ifaddrmsg);
    FIELD(struct ifaddrmsg, ifa_family);
    FIELD(struct ifaddrmsg, ifa_prefixlen);
    FIELD(struct ifaddrmsg, ifa_flags);
    FIELD(struct ifaddrmsg, ifa_scope);
    FIELD(struct ifaddrmsg, ifa_index);

    SIZE(struct rtmsg);
    FIELD(struct rtmsg, rtm_family);
    FIELD(struct rtmsg, rtm_dst_len);
    FIELD(struct rtmsg, rtm_src_len);
    FIELD(struct rtmsg, rtm_tos);
    FIELD(struct rtmsg, rtm_table);
    FIELD(struct rtmsg, rtm_protocol);
    FIELD(struct rtmsg, rtm_scope);
    FIELD(struct rtmsg, rtm_type);
    FIELD(struct rtmsg, rtm_flags);

    SIZE(struct rtattr);
    FIELD(struct rtattr, rta_len);
    FIELD(struct rtattr, rta_type);

    SIZE(struct cmsghdr);
    FIELD(struct cmsghdr, cmsg_len);
    FIELD(struct cmsghdr, cmsg_level);
    FIELD(struct cmsghdr, cmsg_type);

    SIZE(struct virtio_net_hdr);
    FIELD(struct virtio_net_hdr, flags);
    FIELD(struct virtio_net_hdr, gso_type);
    FIELD(struct virtio_net_hdr, hdr_len);
    FIELD(struct virtio_net_hdr, gso_size);
    FIELD(struct virtio_net_hdr, csum_start);
    FIELD(struct virtio_net_hdr, csum_offset);

    SIZE(struct rtnexthop);
    FIELD(struct rtnexthop, rtnh_len);
    FIELD(struct rtnexthop, rtnh_flags);
    FIELD(struct rtnexthop, rtnh_hops);
    FIELD(struct rtnexthop, rtnh_ifindex);

    CONSTANT(IFNAMSIZ);
    CONSTANT(TUNSETIFF);
    CONSTANT(TUNSETOFFLOAD);
    CONSTANT(IFF_TUN);
    CONSTANT(IFF_NO_PI);
    CONSTANT(IFF_MULTI_QUEUE);
    CONSTANT(IFF_VNET_HDR);
    CONSTANT(TUN_F_CSUM);
    CONSTANT(TUN_F_TSO4);
    CONSTANT(TUN_F_TSO6);
    CONSTANT(TUN_F_TSO_ECN);
    /* USO and GSO_UDP_L4 arrived in the 6.2 uapi headers; older headers are checked against the kernel instead. */
    NAMED("UAPI_VERSION_CODE", LINUX_VERSION_CODE);
#ifdef TUN_F_USO4
    CONSTANT(TUN_F_USO4);
    CONSTANT(TUN_F_USO6);
#endif
#ifdef VIRTIO_NET_HDR_GSO_UDP_L4
    CONSTANT(VIRTIO_NET_HDR_GSO_UDP_L4);
#endif
    CONSTANT(VIRTIO_NET_HDR_F_NEEDS_CSUM);
    CONSTANT(VIRTIO_NET_HDR_F_DATA_VALID);
    CONSTANT(VIRTIO_NET_HDR_GSO_NONE);
    CONSTANT(VIRTIO_NET_HDR_GSO_TCPV4);
    CONSTANT(VIRTIO_NET_HDR_GSO_TCPV6);
    CONSTANT(VIRTIO_NET_HDR_GSO_ECN);
    CONSTANT(SOL_UDP);
    CONSTANT(UDP_SEGMENT);
    CONSTANT(UDP_GRO);
    NAMED("CMSG_LEN_U16", CMSG_LEN(sizeof(uint16_t)));
    NAMED("CMSG_SPACE_U16", CMSG_SPACE(sizeof(uint16_t)));
    NAMED("CMSG_LEN_INT", CMSG_LEN(sizeof(int)));
    NAMED("CMSG_SPACE_INT", CMSG_SPACE(sizeof(int)));
    NAMED("CMSG_LEN_0", CMSG_LEN(0));
    CONSTANT(IFF_UP);
    CONSTANT(IFF_LOOPBACK);

    CONSTANT(NETLINK_ROUTE);
    CONSTANT(NETLINK_EXT_ACK);
    CONSTANT(NLM_F_REQUEST);
    CONSTANT(NLM_F_MULTI);
    CONSTANT(NLM_F_ACK);
    CONSTANT(NLM_F_DUMP_INTR);
    CONSTANT(NLM_F_DUMP);
    CONSTANT(NLM_F_EXCL);
    CONSTANT(NLM_F_CREATE);
    CONSTANT(NLM_F_CAPPED);
    CONSTANT(NLM_F_ACK_TLVS);
    CONSTANT(NLMSG_NOOP);
    CONSTANT(NLMSG_ERROR);
    CONSTANT(NLMSG_DONE);
    CONSTANT(NLMSGERR_ATTR_MSG);
    CONSTANT(RTM_NEWLINK);
    CONSTANT(RTM_GETLINK);
    CONSTANT(RTM_SETLINK);
    CONSTANT(RTM_NEWADDR);
    CONSTANT(RTM_DELADDR);
    CONSTANT(RTM_GETADDR);
    CONSTANT(RTM_NEWROUTE);
    CONSTANT(RTM_DELROUTE);
    CONSTANT(RTM_GETROUTE);
    CONSTANT(IFLA_IFNAME);
    CONSTANT(IFLA_MTU);
    CONSTANT(IFLA_TXQLEN);
    CONSTANT(IFA_ADDRESS);
    CONSTANT(IFA_LOCAL);
    CONSTANT(RTA_DST);
    CONSTANT(RTA_OIF);
    CONSTANT(RTA_PRIORITY);
    CONSTANT(RTA_MULTIPATH);
    CONSTANT(RTA_TABLE);
    CONSTANT(RT_TABLE_MAIN);
    CONSTANT(RTPROT_BOOT);
    CONSTANT(RT_SCOPE_UNIVERSE);
    CONSTANT(RT_SCOPE_NOWHERE);
    CONSTANT(RTN_UNICAST);

    /* Tmds.LibC values this project relies on. */
    CONSTANT(AF_INET);
    CONSTANT(AF_NETLINK);
    CONSTANT(SOL_NETLINK);
    CONSTANT(SOCK_DGRAM);
    CONSTANT(SOCK_RAW);
    CONSTANT(SOCK_NONBLOCK);
    CONSTANT(SOCK_CLOEXEC);
    CONSTANT(SO_RCVBUF);
    CONSTANT(SO_SNDBUF);
    CONSTANT(SO_RCVBUFFORCE);
    CONSTANT(SO_SNDBUFFORCE);
    CONSTANT(MSG_DONTWAIT);
    CONSTANT(MSG_TRUNC);
    CONSTANT(SO_REUSEPORT);
    CONSTANT(POLLIN);
    CONSTANT(POLLOUT);
    CONSTANT(POLLNVAL);
    CONSTANT(EFD_CLOEXEC);
    CONSTANT(EFD_NONBLOCK);
    CONSTANT(CLONE_NEWNET);
    CONSTANT(EINTR);
    CONSTANT(EAGAIN);
    CONSTANT(EEXIST);
    CONSTANT(ESRCH);
    CONSTANT(ENODEV);
    CONSTANT(EBADFD);
    CONSTANT(EIO);
    CONSTANT(EINVAL);
    CONSTANT(EOPNOTSUPP);
    CONSTANT(EMSGSIZE);
    return 0;
}
