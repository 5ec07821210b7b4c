using System.Globalization;
using System.Net.NetworkInformation;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Netlink;
using Overlay.Linux.Tests.Support;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Netlink;

public sealed class InterfaceInfoTests
{
    [Fact]
    public void Lists_the_same_interfaces_as_the_managed_api_in_the_process_namespace()
    {
        IReadOnlyList<InterfaceInfo> interfaces = InterfaceInfo.List();

        string[] managed = NetworkInterface.GetAllNetworkInterfaces().Select(i => i.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(managed, interfaces.Select(i => i.Name).Order(StringComparer.Ordinal).ToArray());
        InterfaceInfo loopback = Assert.Single(interfaces, i => i.Name == "lo");
        Assert.Equal(Ipv4.Parse("127.0.0.1"), loopback.Addresses[0]);
        Assert.True(loopback.IsUp);
        Assert.Equal(int.Parse(File.ReadAllText("/sys/class/net/lo/mtu").Trim(), CultureInfo.InvariantCulture), loopback.Mtu);
        Assert.Equal(int.Parse(File.ReadAllText("/sys/class/net/lo/ifindex").Trim(), CultureInfo.InvariantCulture), loopback.Index);
    }

    [PrivilegedFact]
    public void Reads_the_calling_threads_namespace_and_picks_the_lowest_metric_default_route()
    {
        using TestNamespace ns = TestNamespace.Create("if");
        ns.Exec("ip", "link", "add", "ext0", "mtu", "1450", "type", "veth", "peer", "name", "ext1");
        ns.Exec("ip", "addr", "add", "198.18.0.1/24", "dev", "ext0");
        ns.Exec("ip", "addr", "add", "198.18.0.9/24", "dev", "ext0");
        ns.Exec("ip", "addr", "add", "198.19.0.1/24", "dev", "ext1");
        ns.Exec("ip", "link", "set", "ext0", "up");
        ns.Exec("ip", "link", "set", "ext1", "up");

        NamespaceThread.Run(ns.Name, () =>
        {
            Assert.Null(InterfaceInfo.DefaultRouteInterface());

            IReadOnlyList<InterfaceInfo> interfaces = InterfaceInfo.List();

            Assert.Equal(["ext0", "ext1", "lo"], interfaces.Select(i => i.Name).Order(StringComparer.Ordinal).ToArray());
            InterfaceInfo ext0 = interfaces.Single(i => i.Name == "ext0");
            Assert.Equal(1450, ext0.Mtu);
            Assert.Equal([Ipv4.Parse("198.18.0.1"), Ipv4.Parse("198.18.0.9")], ext0.Addresses);
            Assert.True(ext0.IsUp);
        });

        ns.Exec("ip", "route", "add", "default", "via", "198.18.0.254", "dev", "ext0", "metric", "100");
        NamespaceThread.Run(ns.Name, () => Assert.Equal("ext0", InterfaceInfo.DefaultRouteInterface()));

        ns.Exec("ip", "route", "add", "default", "via", "198.19.0.254", "dev", "ext1", "metric", "50");
        NamespaceThread.Run(ns.Name, () => Assert.Equal("ext1", InterfaceInfo.DefaultRouteInterface()));
    }
}
