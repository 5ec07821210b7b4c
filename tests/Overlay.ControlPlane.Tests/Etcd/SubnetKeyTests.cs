using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.Etcd;

public sealed class SubnetKeyTests
{
    [Fact]
    public void BuildsFlannelKeys()
    {
        Assert.Equal("/coreos.com/network/subnets/10.244.91.0-24", SubnetKey.Build("/coreos.com/network", Ipv4Subnet.Parse("10.244.91.0/24")));
        Assert.Equal("/coreos.com/network/subnets/10.0.0.0-8", SubnetKey.Build("/coreos.com/network//", Ipv4Subnet.Parse("10.0.0.0/8")));
        Assert.Equal("/coreos.com/network/config", SubnetKey.ConfigKey("/coreos.com/network/"));
        Assert.Equal("/x/subnets", SubnetKey.SubnetsPrefix("/x/"));
    }

    [Theory]
    [InlineData("/coreos.com/network/subnets/10.12.13.0-24", "10.12.13.0/24", null)]
    [InlineData("10.12.13.0-24", "10.12.13.0/24", null)]
    [InlineData("/coreos.com/network/subnets/10.12.13.0-24&fd00:12:13::-56", "10.12.13.0/24", "fd00:12:13::/56")]
    [InlineData("/p/subnets/0.0.0.0-0", "0.0.0.0/0", null)]
    [InlineData("/p/subnets/10.244.0.0-31", "10.244.0.0/31", null)]
    public void ParsesValidKeys(string key, string subnet, string? ipv6)
    {
        Assert.True(SubnetKey.TryParse(key, out ParsedSubnetKey parsed));
        Assert.Equal(Ipv4Subnet.Parse(subnet), parsed.Subnet);
        Assert.Equal(ipv6, parsed.Ipv6Subnet);
        Assert.True(parsed.IsCanonical);
    }

    [Theory]
    [InlineData("/p/subnets/10.12.13.0-24hi")]
    [InlineData("/p/subnets/10.12.13.0-24&fd00:12:13::")]
    [InlineData("/p/subnets/10.12.13.0-24&FD00::-56")]
    [InlineData("/p/subnets/10.12.13.0-32")]
    [InlineData("/p/subnets/10.12.13.0-24&fd00::-128")]
    [InlineData("/p/subnets/010.12.13.0-24")]
    [InlineData("/p/subnets/10.12.300.0-24")]
    [InlineData("/p/subnets/10.12.13.0-24\n")]
    [InlineData("/p/subnets/garbage")]
    [InlineData("/p/config")]
    public void RejectsWhatFlannelRejects(string key)
    {
        Assert.False(SubnetKey.TryParse(key, out _));
    }

    [Fact]
    public void TheRegexIsAnchoredAtTheEndOnly()
    {
        Assert.True(SubnetKey.TryParse("/anything/at/all/10.1.2.0-24", out ParsedSubnetKey parsed));
        Assert.Equal(Ipv4Subnet.Parse("10.1.2.0/24"), parsed.Subnet);
        Assert.False(SubnetKey.TryParse("/p/subnets/10.1.2.0-24/extra", out _));
    }

    [Theory]
    [InlineData("/p/subnets/10.1.2.5-24", "10.1.2.0/24")]
    [InlineData("/p/subnets/10.1.2.0-024", "10.1.2.0/24")]
    public void NonCanonicalKeysParseButAreFlagged(string key, string subnet)
    {
        Assert.True(SubnetKey.TryParse(key, out ParsedSubnetKey parsed));
        Assert.Equal(Ipv4Subnet.Parse(subnet), parsed.Subnet);
        Assert.False(parsed.IsCanonical);
    }

    [Fact]
    public void BuildAndParseRoundTrip()
    {
        for (int length = 8; length <= 30; length += 2)
        {
            var subnet = new Ipv4Subnet(Ipv4.Parse("10.244.128.0"), length);
            Assert.True(SubnetKey.TryParse(SubnetKey.Build("/coreos.com/network", subnet), out ParsedSubnetKey parsed));
            Assert.Equal(subnet, parsed.Subnet);
            Assert.True(parsed.IsCanonical);
        }
    }
}
