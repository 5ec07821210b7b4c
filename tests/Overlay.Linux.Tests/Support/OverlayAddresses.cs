using Overlay.DataPlane.Routing;
using Overlay.Linux.Netlink;
using Overlay.Linux.Tun;

namespace Overlay.Linux.Tests.Support;

/// <summary>The overlay a privileged test builds inside its own namespace, configured the way flannel configures flannel0.</summary>
internal static class OverlayAddresses
{
    public const int Mtu = 1472;

    /// <summary>This node's lease network address, put on the TUN as a /32.</summary>
    public static readonly uint LeaseAddress = Ipv4.Parse("10.244.91.0");

    public static readonly Ipv4Subnet Network = Ipv4Subnet.Parse("10.244.0.0/16");

    /// <summary>Address, MTU, txqueuelen, up, then the overlay route; returns the TUN's ifindex.</summary>
    public static int ConfigureLikeFlannel(RouteNetlink netlink, TunDevice tun)
    {
        int index = netlink.GetLinkIndex(tun.Name);
        Assert.True(netlink.AddAddress(index, LeaseAddress, 32));
        netlink.SetLinkMtu(index, Mtu);
        netlink.SetTxQueueLength(index, 1000);
        netlink.SetLinkUp(index);
        Assert.True(netlink.AddRoute(Network, index));
        return index;
    }
}
