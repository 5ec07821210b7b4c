using System.Globalization;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Netlink;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Tun;
using Overlay.TestKit;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Netlink;

public sealed class RouteNetlinkTests
{
    [Fact]
    public void Looks_up_the_loopback_index_and_mtu_without_privileges()
    {
        using var netlink = new RouteNetlink();

        int index = netlink.GetLinkIndex("lo");

        Assert.Equal(SysfsValue("lo", "ifindex"), index);
        Assert.Equal(SysfsValue("lo", "mtu"), netlink.GetLinkMtu(index));
    }

    [Fact]
    public void An_unknown_interface_is_an_error_that_names_it()
    {
        using var netlink = new RouteNetlink();

        var error = Assert.Throws<SystemCallException>(() => netlink.GetLinkIndex("nosuchdev0"));

        Assert.Equal(LibC.ENODEV, error.Errno);
        Assert.Contains("'nosuchdev0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("RTM_GETLINK", error.Message, StringComparison.Ordinal);
    }

    [PrivilegedFact]
    public void Delete_route_removes_it_and_reports_a_missing_one()
    {
        using TestNamespace ns = TestNamespace.Create("nl");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using var netlink = new RouteNetlink();
            using TunDevice tun = TunDevice.Create("flannel%d", shutdown);
            int index = OverlayAddresses.ConfigureLikeFlannel(netlink, tun);
            var extra = Ipv4Subnet.Parse("10.245.0.0/16");
            Assert.True(netlink.AddRoute(extra, index));
            Assert.Contains("10.245.0.0/16 dev flannel0", Routes(ns), StringComparison.Ordinal);

            Assert.True(netlink.DeleteRoute(extra, index));
            Assert.False(netlink.DeleteRoute(extra, index));

            string routes = Routes(ns);
            Assert.DoesNotContain("10.245.0.0/16", routes, StringComparison.Ordinal);
            Assert.Contains("10.244.0.0/16 dev flannel0", routes, StringComparison.Ordinal);
        });
    }

    [PrivilegedFact]
    public void A_route_through_a_down_device_fails_with_the_operation_and_errno()
    {
        using TestNamespace ns = TestNamespace.Create("nl");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using var netlink = new RouteNetlink();
            using TunDevice tun = TunDevice.Create("flannel%d", shutdown);
            int index = netlink.GetLinkIndex(tun.Name);

            var error = Assert.Throws<SystemCallException>(() => netlink.AddRoute(OverlayAddresses.Network, index));

            Assert.Equal(LibC.ENETDOWN, error.Errno);
            Assert.Contains($"RTM_NEWROUTE 10.244.0.0/16 dev ifindex {index}", error.Message, StringComparison.Ordinal);
            Assert.Contains(error.Operation, error.Message, StringComparison.Ordinal);
        });
    }

    [PrivilegedFact]
    public void A_fresh_namespace_socket_sees_only_that_namespace()
    {
        using TestNamespace ns = TestNamespace.Create("nl");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var netlink = new RouteNetlink();

            IReadOnlyList<InterfaceInfo> interfaces = netlink.ListInterfaces();

            InterfaceInfo only = Assert.Single(interfaces);
            Assert.Equal("lo", only.Name);
            Assert.Equal([Ipv4.Parse("127.0.0.1")], only.Addresses);
        });
    }

    private static string Routes(TestNamespace ns) => Tools.Run("ip", "-n", ns.Name, "-4", "route", "show");

    private static int SysfsValue(string device, string attribute) =>
        int.Parse(File.ReadAllText($"/sys/class/net/{device}/{attribute}").Trim(), CultureInfo.InvariantCulture);
}
