using Overlay.Linux.Netlink;

namespace Overlay.Daemon.Hosting;

/// <summary>The host's interfaces, as the Linux layer reports them, in the shape interface selection wants.</summary>
internal static class HostInterfaces
{
    public static IReadOnlyList<HostInterface> List() =>
        [.. InterfaceInfo.List().Select(i => new HostInterface(i.Name, i.Index, i.Mtu, i.Addresses))];

    public static string? DefaultRouteInterface() => InterfaceInfo.DefaultRouteInterface();
}
