using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Netlink;

/// <summary>
/// A network interface as the daemon's <c>-iface</c> selection sees it, read over rtnetlink so it reflects the
/// calling thread's network namespace (the managed NetworkInterface API reads the process's /proc and /sys instead).
/// </summary>
/// <param name="Name">Interface name, e.g. "eth0".</param>
/// <param name="Index">ifindex.</param>
/// <param name="Mtu">IFLA_MTU.</param>
/// <param name="IsUp">IFF_UP is set.</param>
/// <param name="Addresses">IPv4 addresses in host byte order, in kernel order: the primary address first.</param>
public sealed record InterfaceInfo(string Name, int Index, int Mtu, bool IsUp, IReadOnlyList<uint> Addresses)
{
    /// <summary>Every interface of the calling thread's network namespace, in the order the kernel dumps them (by ifindex).</summary>
    /// <exception cref="SystemCallException">The netlink dump failed.</exception>
    public static IReadOnlyList<InterfaceInfo> List()
    {
        using var netlink = new RouteNetlink();
        return netlink.ListInterfaces();
    }

    /// <summary>
    /// The name of the interface the IPv4 default route of the main table goes out of (the lowest metric wins, as
    /// the kernel's choice does), or null when there is no default route.
    /// </summary>
    /// <exception cref="SystemCallException">The netlink dump failed.</exception>
    public static string? DefaultRouteInterface()
    {
        using var netlink = new RouteNetlink();
        return netlink.DefaultRouteInterface();
    }

    public override string ToString() =>
        $"{Name} (index {Index}, mtu {Mtu}, {(IsUp ? "up" : "down")}){(Addresses.Count == 0 ? "" : " " + string.Join(" ", Addresses.Select(Ipv4.Format)))}";
}
