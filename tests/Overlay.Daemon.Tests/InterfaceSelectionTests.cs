using Overlay.Daemon.Hosting;
using Overlay.Daemon.Options;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Tests;

public class InterfaceSelectionTests
{
    private static readonly HostInterface[] s_interfaces =
    [
        new("lo", 1, 65536, [Ipv4.Parse("127.0.0.1")]),
        new("eth0", 2, 1500, [Ipv4.Parse("198.18.0.1"), Ipv4.Parse("198.18.0.100")]),
        new("eth1", 3, 9000, [Ipv4.Parse("198.19.5.1")]),
        new("down0", 4, 1500, []),
    ];

    private static SelectedInterface Select(string? defaultRoute, params string[] args) =>
        InterfaceSelector.Select(DaemonOptions.Parse(args, _ => null), s_interfaces, defaultRoute);

    [Fact]
    public void Without_flags_the_default_route_interface_and_its_first_address_win()
    {
        SelectedInterface selected = Select("eth1");
        Assert.Equal("eth1", selected.Interface.Name);
        Assert.Equal(Ipv4.Parse("198.19.5.1"), selected.InterfaceAddress);
        Assert.Equal(selected.InterfaceAddress, selected.PublicAddress);
    }

    [Fact]
    public void Iface_by_address_binds_that_address()
    {
        SelectedInterface selected = Select("eth1", "-iface=198.18.0.100");
        Assert.Equal("eth0", selected.Interface.Name);
        Assert.Equal(Ipv4.Parse("198.18.0.100"), selected.InterfaceAddress);
    }

    [Fact]
    public void First_matching_iface_wins()
    {
        SelectedInterface selected = Select(null, "-iface=nope", "-iface=eth1", "-iface=eth0");
        Assert.Equal("eth1", selected.Interface.Name);
    }

    [Fact]
    public void Public_ip_is_what_peers_are_told_while_the_socket_binds_the_interface()
    {
        SelectedInterface selected = Select(null, "-iface=eth0", "-public-ip=203.0.113.7");
        Assert.Equal(Ipv4.Parse("198.18.0.1"), selected.InterfaceAddress);
        Assert.Equal(Ipv4.Parse("203.0.113.7"), selected.PublicAddress);
    }

    [Fact]
    public void Without_iface_flags_public_ip_must_be_owned_by_an_interface()
    {
        Assert.Equal("eth1", Select("eth0", "-public-ip=198.19.5.1").Interface.Name);
        InterfaceSelectionException error = Assert.Throws<InterfaceSelectionException>(() => Select("eth0", "-public-ip=203.0.113.7"));
        Assert.Contains("-iface", error.Message);
    }

    [Fact]
    public void Regex_matches_addresses_before_names()
    {
        Assert.Equal("eth1", Select(null, "-iface-regex=^198\\.19\\.").Interface.Name);
        Assert.Equal("eth0", Select(null, "-iface-regex=^eth0$").Interface.Name);
    }

    [Fact]
    public void No_match_explains_what_exists()
    {
        InterfaceSelectionException error = Assert.Throws<InterfaceSelectionException>(() => Select(null, "-iface=wlan9"));
        Assert.Contains("eth0 198.18.0.1", error.Message);
        Assert.Throws<InterfaceSelectionException>(() => Select(null));
        Assert.Throws<InterfaceSelectionException>(() => Select("down0"));
    }
}
