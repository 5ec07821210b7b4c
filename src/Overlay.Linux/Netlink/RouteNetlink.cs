using System.Globalization;
using System.Runtime.InteropServices;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Netlink;

/// <summary>
/// The link, address and route changes flannel's UDP backend makes on its TUN device, done over a hand-written
/// NETLINK_ROUTE socket (no <c>ip</c> subprocess). Every request asks for an ACK and every error is thrown as a
/// <see cref="SystemCallException"/> naming the request, its object, the errno and the kernel's own message.
/// </summary>
/// <remarks>
/// Operates in the network namespace of the thread that constructed it. Not thread-safe: one request at a time.
/// Needs CAP_NET_ADMIN for the changes; the queries work unprivileged.
/// </remarks>
public sealed class RouteNetlink : IDisposable
{
    private const int MaxDumpAttempts = 3;
    private static readonly int s_ifinfomsgSize = Marshal.SizeOf<ifinfomsg>();
    private static readonly int s_ifaddrmsgSize = Marshal.SizeOf<ifaddrmsg>();
    private static readonly int s_rtmsgSize = Marshal.SizeOf<rtmsg>();
    private static readonly int s_rtnexthopSize = Marshal.SizeOf<rtnexthop>();

    private readonly NetlinkSocket _socket = new();

    /// <summary>The ifindex of interface <paramref name="name"/> (RTM_GETLINK by IFLA_IFNAME).</summary>
    /// <exception cref="SystemCallException">No such interface (ENODEV), or the request failed.</exception>
    public int GetLinkIndex(string name)
    {
        ValidateName(name);
        string operation = $"netlink RTM_GETLINK for interface '{name}'";
        var request = new NetlinkRequest(Libc.RTM_GETLINK, Libc.NLM_F_ACK);
        request.AddHeader(new ifinfomsg { ifi_family = (byte)(int)LibC.AF_UNSPEC });
        request.AddString(Libc.IFLA_IFNAME, name);
        foreach (NetlinkMessage reply in Query(request, operation))
        {
            if (reply.Type == Libc.RTM_NEWLINK && reply.Payload.Length >= s_ifinfomsgSize)
            {
                return MemoryMarshal.Read<ifinfomsg>(reply.Payload).ifi_index;
            }
        }
        throw new SystemCallException(operation, LibC.ENODEV);
    }

    /// <summary>IFLA_MTU of interface <paramref name="index"/>.</summary>
    public int GetLinkMtu(int index)
    {
        string operation = $"netlink RTM_GETLINK for ifindex {index}";
        var request = new NetlinkRequest(Libc.RTM_GETLINK, Libc.NLM_F_ACK);
        request.AddHeader(new ifinfomsg { ifi_family = (byte)(int)LibC.AF_UNSPEC, ifi_index = index });
        foreach (NetlinkMessage reply in Query(request, operation))
        {
            if (reply.Type == Libc.RTM_NEWLINK && ParseLink(reply.Payload) is { } link)
            {
                return link.Mtu;
            }
        }
        throw new SystemCallException(operation + ": no IFLA_MTU in the reply", LibC.EPROTO);
    }

    public void SetLinkMtu(int index, int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, 68);
        var request = new NetlinkRequest(Libc.RTM_SETLINK, Libc.NLM_F_ACK);
        request.AddHeader(new ifinfomsg { ifi_family = (byte)(int)LibC.AF_UNSPEC, ifi_index = index });
        request.AddUInt32(Libc.IFLA_MTU, (uint)mtu);
        Change(request, $"netlink RTM_SETLINK mtu {mtu} on ifindex {index}");
    }

    public void SetLinkUp(int index)
    {
        var request = new NetlinkRequest(Libc.RTM_NEWLINK, Libc.NLM_F_ACK);
        request.AddHeader(new ifinfomsg
        {
            ifi_family = (byte)(int)LibC.AF_UNSPEC,
            ifi_index = index,
            ifi_flags = Libc.IFF_UP,
            ifi_change = Libc.IFF_UP,
        });
        Change(request, $"netlink RTM_NEWLINK up on ifindex {index}");
    }

    /// <summary>Sets txqueuelen (TUN devices start at 500, which drops bursts at high packet rates).</summary>
    public void SetTxQueueLength(int index, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var request = new NetlinkRequest(Libc.RTM_SETLINK, Libc.NLM_F_ACK);
        request.AddHeader(new ifinfomsg { ifi_family = (byte)(int)LibC.AF_UNSPEC, ifi_index = index });
        request.AddUInt32(Libc.IFLA_TXQLEN, (uint)length);
        Change(request, $"netlink RTM_SETLINK txqueuelen {length} on ifindex {index}");
    }

    /// <summary>
    /// Adds IPv4 <paramref name="address"/>/<paramref name="prefixLength"/> (host byte order) to interface
    /// <paramref name="index"/>, scope universe, as <c>ip addr add</c> does. Returns false when it was already there.
    /// </summary>
    public bool AddAddress(int index, uint address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        var request = new NetlinkRequest(Libc.RTM_NEWADDR, Libc.NLM_F_ACK | Libc.NLM_F_CREATE | Libc.NLM_F_EXCL);
        request.AddHeader(new ifaddrmsg
        {
            ifa_family = (byte)(int)LibC.AF_INET,
            ifa_prefixlen = (byte)prefixLength,
            ifa_scope = Libc.RT_SCOPE_UNIVERSE,
            ifa_index = (uint)index,
        });
        request.AddIpv4(Libc.IFA_LOCAL, address);
        request.AddIpv4(Libc.IFA_ADDRESS, address);
        return Change(request, $"netlink RTM_NEWADDR {Ipv4.Format(address)}/{prefixLength} on ifindex {index}", LibC.EEXIST);
    }

    /// <summary>
    /// Removes IPv4 <paramref name="address"/>/<paramref name="prefixLength"/> (host byte order) from interface
    /// <paramref name="index"/>, as <c>ip addr del</c> does. Returns false when it was not there.
    /// </summary>
    public bool DeleteAddress(int index, uint address, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        var request = new NetlinkRequest(Libc.RTM_DELADDR, Libc.NLM_F_ACK);
        request.AddHeader(new ifaddrmsg
        {
            ifa_family = (byte)(int)LibC.AF_INET,
            ifa_prefixlen = (byte)prefixLength,
            ifa_index = (uint)index,
        });
        request.AddIpv4(Libc.IFA_LOCAL, address);
        // The kernel answers EADDRNOTAVAIL when no such address is on the interface.
        return Change(request, $"netlink RTM_DELADDR {Ipv4.Format(address)}/{prefixLength} on ifindex {index}", LibC.EADDRNOTAVAIL);
    }

    /// <summary>
    /// Adds a main-table route to <paramref name="destination"/> out of interface <paramref name="index"/>: scope
    /// universe, no gateway, protocol boot (flannel's route for the whole overlay). Returns false when a route to
    /// that destination already existed (EEXIST is ignored, as flannel does).
    /// </summary>
    public bool AddRoute(Ipv4Subnet destination, int index)
    {
        var request = new NetlinkRequest(Libc.RTM_NEWROUTE, Libc.NLM_F_ACK | Libc.NLM_F_CREATE | Libc.NLM_F_EXCL);
        AddRouteBody(request, destination, index, Libc.RTPROT_BOOT, Libc.RT_SCOPE_UNIVERSE, Libc.RTN_UNICAST);
        return Change(request, $"netlink RTM_NEWROUTE {destination} dev ifindex {index}", LibC.EEXIST);
    }

    /// <summary>Deletes the main-table route to <paramref name="destination"/> via <paramref name="index"/>; false when there was none.</summary>
    public bool DeleteRoute(Ipv4Subnet destination, int index)
    {
        var request = new NetlinkRequest(Libc.RTM_DELROUTE, Libc.NLM_F_ACK);
        // Scope "nowhere", protocol and type 0 are wildcards to the kernel's delete matcher.
        AddRouteBody(request, destination, index, 0, Libc.RT_SCOPE_NOWHERE, 0);
        return Change(request, $"netlink RTM_DELROUTE {destination} dev ifindex {index}", LibC.ESRCH);
    }

    /// <summary>Every interface with its MTU, state and IPv4 addresses (RTM_GETLINK and RTM_GETADDR dumps).</summary>
    public IReadOnlyList<InterfaceInfo> ListInterfaces()
    {
        var links = new List<(int Index, string Name, int Mtu, bool IsUp)>();
        var linkDump = new NetlinkRequest(Libc.RTM_GETLINK, Libc.NLM_F_DUMP);
        linkDump.AddHeader(new ifinfomsg { ifi_family = (byte)(int)LibC.AF_UNSPEC });
        foreach (NetlinkMessage reply in Dump(linkDump, "netlink RTM_GETLINK dump"))
        {
            if (reply.Type == Libc.RTM_NEWLINK && ParseLink(reply.Payload) is { } link)
            {
                links.Add(link);
            }
        }

        var addresses = new Dictionary<int, List<uint>>();
        var addressDump = new NetlinkRequest(Libc.RTM_GETADDR, Libc.NLM_F_DUMP);
        addressDump.AddHeader(new ifaddrmsg { ifa_family = (byte)(int)LibC.AF_INET });
        foreach (NetlinkMessage reply in Dump(addressDump, "netlink RTM_GETADDR dump"))
        {
            if (reply.Type == Libc.RTM_NEWADDR && ParseAddress(reply.Payload) is { } address)
            {
                if (!addresses.TryGetValue(address.Index, out List<uint>? list))
                {
                    addresses[address.Index] = list = [];
                }
                list.Add(address.Address);
            }
        }

        return links
            .Select(l => new InterfaceInfo(l.Name, l.Index, l.Mtu, l.IsUp,
                addresses.TryGetValue(l.Index, out List<uint>? list) ? list.AsReadOnly() : Array.Empty<uint>()))
            .ToList()
            .AsReadOnly();
    }

    /// <summary>The interface name of the main table's IPv4 default route with the lowest metric, or null if none.</summary>
    public string? DefaultRouteInterface()
    {
        Ipv4RouteEntry? best = null;
        foreach (Ipv4RouteEntry route in ListIpv4Routes())
        {
            if (route.Destination.PrefixLength == 0 && route.Table == Libc.RT_TABLE_MAIN && route.Type == Libc.RTN_UNICAST &&
                route.OutputInterfaceIndex > 0 && (best is null || route.Priority < best.Priority))
            {
                best = route;
            }
        }
        if (best is null)
        {
            return null;
        }
        return ListInterfaces().FirstOrDefault(i => i.Index == best.OutputInterfaceIndex)?.Name;
    }

    /// <summary>Every IPv4 route of every table (RTM_GETROUTE dump).</summary>
    internal IReadOnlyList<Ipv4RouteEntry> ListIpv4Routes()
    {
        var routes = new List<Ipv4RouteEntry>();
        var request = new NetlinkRequest(Libc.RTM_GETROUTE, Libc.NLM_F_DUMP);
        request.AddHeader(new rtmsg { rtm_family = (byte)(int)LibC.AF_INET });
        foreach (NetlinkMessage reply in Dump(request, "netlink RTM_GETROUTE dump"))
        {
            if (reply.Type == Libc.RTM_NEWROUTE && ParseRoute(reply.Payload) is { } route)
            {
                routes.Add(route);
            }
        }
        return routes;
    }

    public void Dispose() => _socket.Dispose();

    private static void AddRouteBody(NetlinkRequest request, Ipv4Subnet destination, int index, byte protocol, byte scope, byte type)
    {
        request.AddHeader(new rtmsg
        {
            rtm_family = (byte)(int)LibC.AF_INET,
            rtm_dst_len = (byte)destination.PrefixLength,
            rtm_table = Libc.RT_TABLE_MAIN,
            rtm_protocol = protocol,
            rtm_scope = scope,
            rtm_type = type,
        });
        if (destination.PrefixLength > 0)
        {
            request.AddIpv4(Libc.RTA_DST, destination.Network);
        }
        request.AddUInt32(Libc.RTA_OIF, (uint)index);
    }

    /// <summary>Runs a change; true on ACK, false when the kernel answered <paramref name="toleratedErrno"/>.</summary>
    private bool Change(NetlinkRequest request, string operation, int toleratedErrno = 0)
    {
        int errno = _socket.Transact(request, operation, null, out string? kernelMessage);
        if (errno == 0)
        {
            return true;
        }
        if (errno == toleratedErrno)
        {
            return false;
        }
        throw new SystemCallException(operation, errno, kernelMessage);
    }

    private List<NetlinkMessage> Query(NetlinkRequest request, string operation)
    {
        var replies = new List<NetlinkMessage>();
        int errno = _socket.Transact(request, operation, replies, out string? kernelMessage);
        return errno == 0 ? replies : throw new SystemCallException(operation, errno, kernelMessage);
    }

    /// <summary>Runs a dump, repeating it when the kernel flags it inconsistent (a change raced the dump).</summary>
    private List<NetlinkMessage> Dump(NetlinkRequest request, string operation)
    {
        for (int attempt = 1; ; attempt++)
        {
            var replies = new List<NetlinkMessage>();
            int errno = _socket.Transact(request, operation, replies, out string? kernelMessage);
            if (errno == 0)
            {
                return replies;
            }
            if (errno != LibC.EINTR || attempt == MaxDumpAttempts)
            {
                throw new SystemCallException(operation, errno, kernelMessage);
            }
        }
    }

    private static (int Index, string Name, int Mtu, bool IsUp)? ParseLink(byte[] payload)
    {
        if (payload.Length < s_ifinfomsgSize)
        {
            return null;
        }
        ifinfomsg header = MemoryMarshal.Read<ifinfomsg>(payload);
        string? name = null;
        uint? mtu = null;
        var attributes = new AttributeReader(payload.AsSpan(NetlinkRequest.Align(s_ifinfomsgSize)));
        while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case Libc.IFLA_IFNAME:
                    name = AttributeReader.ReadString(value);
                    break;
                case Libc.IFLA_MTU:
                    mtu = AttributeReader.ReadUInt32(value);
                    break;
            }
        }
        if (name is null || mtu is null)
        {
            return null;
        }
        return (header.ifi_index, name, (int)mtu.Value, (header.ifi_flags & Libc.IFF_UP) != 0);
    }

    private static (int Index, uint Address)? ParseAddress(byte[] payload)
    {
        if (payload.Length < s_ifaddrmsgSize)
        {
            return null;
        }
        ifaddrmsg header = MemoryMarshal.Read<ifaddrmsg>(payload);
        if (header.ifa_family != (int)LibC.AF_INET)
        {
            return null;
        }
        uint? local = null;
        uint? peer = null;
        var attributes = new AttributeReader(payload.AsSpan(NetlinkRequest.Align(s_ifaddrmsgSize)));
        while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            if (value.Length != 4)
            {
                continue;
            }
            if (type == Libc.IFA_LOCAL)
            {
                local = Ipv4.Read(value);
            }
            else if (type == Libc.IFA_ADDRESS)
            {
                peer = Ipv4.Read(value);
            }
        }
        // IFA_LOCAL is the interface's own address; IFA_ADDRESS differs from it only on point-to-point peers.
        uint? address = local ?? peer;
        return address is { } a ? ((int)header.ifa_index, a) : null;
    }

    private static Ipv4RouteEntry? ParseRoute(byte[] payload)
    {
        if (payload.Length < s_rtmsgSize)
        {
            return null;
        }
        rtmsg header = MemoryMarshal.Read<rtmsg>(payload);
        if (header.rtm_family != (int)LibC.AF_INET || header.rtm_dst_len > 32)
        {
            return null;
        }
        uint destination = 0;
        int outputIndex = 0;
        uint priority = 0;
        uint table = header.rtm_table;
        var attributes = new AttributeReader(payload.AsSpan(NetlinkRequest.Align(s_rtmsgSize)));
        while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case Libc.RTA_DST when value.Length == 4:
                    destination = Ipv4.Read(value);
                    break;
                case Libc.RTA_OIF:
                    outputIndex = (int)(AttributeReader.ReadUInt32(value) ?? 0);
                    break;
                case Libc.RTA_PRIORITY:
                    priority = AttributeReader.ReadUInt32(value) ?? 0;
                    break;
                case Libc.RTA_TABLE:
                    table = AttributeReader.ReadUInt32(value) ?? table;
                    break;
                case Libc.RTA_MULTIPATH when outputIndex == 0 && value.Length >= s_rtnexthopSize:
                    outputIndex = MemoryMarshal.Read<rtnexthop>(value).rtnh_ifindex;
                    break;
            }
        }
        return new Ipv4RouteEntry(new Ipv4Subnet(destination, header.rtm_dst_len), outputIndex, priority, table, header.rtm_type);
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length >= Libc.IFNAMSIZ)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"interface name '{name}' is longer than {Libc.IFNAMSIZ - 1} characters"),
                nameof(name));
        }
    }
}
