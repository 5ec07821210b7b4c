using Overlay.ControlPlane.Config;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.Config;

public sealed class NetworkConfigParserTests
{
    private static NetworkConfigException Rejects(string json) => Assert.Throws<NetworkConfigException>(() => NetworkConfigParser.Parse(json));

    [Fact]
    public void MinimalConfigGetsFlannelDefaults()
    {
        NetworkConfig config = NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16"}""");

        Assert.Equal(Ipv4Subnet.Parse("10.244.0.0/16"), config.Network);
        Assert.Equal(24, config.SubnetLen);
        Assert.Equal(Ipv4.Parse("10.244.1.0"), config.SubnetMin);
        Assert.Equal(Ipv4.Parse("10.244.255.0"), config.SubnetMax);
        Assert.Equal("udp", config.BackendType);
        Assert.Equal(8285, config.BackendPort);
        Assert.False(config.EnableIPv6);
        Assert.Empty(config.Warnings);
    }

    [Theory]
    [InlineData("10.0.0.0/8", 24)]
    [InlineData("10.244.0.0/22", 24)]
    [InlineData("10.244.0.0/23", 25)]
    [InlineData("10.244.0.0/26", 28)]
    [InlineData("10.244.0.0/28", 30)]
    public void DefaultSubnetLenFollowsRuleA(string network, int expected)
    {
        NetworkConfig config = NetworkConfigParser.Parse($$"""{"Network":"{{network}}"}""");

        Assert.Equal(expected, config.SubnetLen);
        uint size = 1u << (32 - expected);
        Assert.Equal(config.Network.Network + size, config.SubnetMin);
        Assert.Equal((uint)(config.Network.Network + config.Network.Size - size), config.SubnetMax);
    }

    [Fact]
    public void DocumentationExampleParses()
    {
        NetworkConfig config = NetworkConfigParser.Parse(
            """{"Network":"10.0.0.0/8","SubnetLen":20,"SubnetMin":"10.10.0.0","SubnetMax":"10.99.0.0","Backend":{"Type":"udp","Port":7890}}""");

        Assert.Equal(20, config.SubnetLen);
        Assert.Equal(Ipv4.Parse("10.10.0.0"), config.SubnetMin);
        Assert.Equal(Ipv4.Parse("10.99.0.0"), config.SubnetMax);
        Assert.Equal(7890, config.BackendPort);
    }

    [Fact]
    public void KeysMatchCaseInsensitivelyAndUnknownKeysAreIgnored()
    {
        NetworkConfig config = NetworkConfigParser.Parse(
            """{"network":"10.5.0.0/16","SUBNETLEN":26,"subnetmin":"10.5.0.64","Whatever":{"x":1},"backend":{"type":"UDP","port":9000,"MTU":1400}}""");

        Assert.Equal(Ipv4Subnet.Parse("10.5.0.0/16"), config.Network);
        Assert.Equal(26, config.SubnetLen);
        Assert.Equal(Ipv4.Parse("10.5.0.64"), config.SubnetMin);
        Assert.Equal("udp", config.BackendType);
        Assert.Equal(9000, config.BackendPort);
    }

    [Fact]
    public void NetworkIsReducedToItsNetworkAddress()
    {
        NetworkConfig config = NetworkConfigParser.Parse("""{"Network":"10.244.3.7/16"}""");

        Assert.Equal("10.244.0.0/16", config.Network.ToString());
    }

    [Fact]
    public void ZeroAddressMeansUnsetForSubnetMinAndMax()
    {
        NetworkConfig config = NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16","SubnetMin":"0.0.0.0","SubnetMax":"0.0.0.0"}""");

        Assert.Equal(Ipv4.Parse("10.244.1.0"), config.SubnetMin);
        Assert.Equal(Ipv4.Parse("10.244.255.0"), config.SubnetMax);
    }

    [Fact]
    public void NullLeavesNumbersAndBooleansAtTheirDefaults()
    {
        NetworkConfig config = NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16","SubnetLen":null,"EnableIPv4":null,"Backend":{"Type":"udp","Port":null}}""");

        Assert.Equal(24, config.SubnetLen);
        Assert.Equal(8285, config.BackendPort);
    }

    [Fact]
    public void LastDuplicateKeyWins()
    {
        NetworkConfig config = NetworkConfigParser.Parse("""{"Network":"10.1.0.0/16","network":"10.2.0.0/16"}""");

        Assert.Equal("10.2.0.0/16", config.Network.ToString());
    }

    [Fact]
    public void EnableIPv6IsAcceptedWithAWarning()
    {
        NetworkConfig config = NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/48"}""");

        Assert.True(config.EnableIPv6);
        string warning = Assert.Single(config.Warnings);
        Assert.Contains("IPv6", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingNetworkNamesTheFieldAndAnExample()
    {
        NetworkConfigException e = Rejects("""{"SubnetLen":24}""");

        Assert.Equal("Network", e.Field);
        Assert.Contains("must be defined", e.Message, StringComparison.Ordinal);
        Assert.Contains("10.244.0.0/16", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnparsableNetworkIsRejected()
    {
        NetworkConfigException e = Rejects("""{"Network":"10.244.0.0"}""");

        Assert.Equal("Network", e.Field);
        Assert.Contains("\"10.244.0.0\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubnetLenAbove30IsRejectedWithTheDefaultAsFix()
    {
        NetworkConfigException e = Rejects("""{"Network":"10.244.0.0/16","SubnetLen":31}""");

        Assert.Equal("SubnetLen", e.Field);
        Assert.Equal("SubnetLen 31: must be at most 30; use 24 for a /16 Network", e.Message);
    }

    [Fact]
    public void SubnetLenLeavingFewerThanFourSubnetsIsRejected()
    {
        NetworkConfigException e = Rejects("""{"Network":"10.244.0.0/16","SubnetLen":17}""");

        Assert.Equal("SubnetLen", e.Field);
        Assert.Contains("SubnetLen 17", e.Message, StringComparison.Ordinal);
        Assert.Contains("at least 18", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SubnetLenOfExactlyPrefixPlusTwoIsAccepted()
    {
        Assert.Equal(18, NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16","SubnetLen":18}""").SubnetLen);
    }

    [Fact]
    public void NetworkSmallerThanSlash28WithoutSubnetLenIsRejected()
    {
        NetworkConfigException e = Rejects("""{"Network":"10.244.0.0/29"}""");

        Assert.Equal("Network", e.Field);
        Assert.Contains("too small", e.Message, StringComparison.Ordinal);
        Assert.Contains("/28", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SubnetMin", "10.245.1.0", "not inside Network")]
    [InlineData("SubnetMax", "10.243.1.0", "not inside Network")]
    [InlineData("SubnetMin", "10.244.1.5", "use 10.244.1.0")]
    [InlineData("SubnetMax", "10.244.9.128", "use 10.244.9.0")]
    [InlineData("SubnetMin", "10.244.1", "not an IPv4 address")]
    public void SubnetBoundsMustBeInsideAndAligned(string field, string value, string expected)
    {
        NetworkConfigException e = Rejects($$"""{"Network":"10.244.0.0/16","{{field}}":"{{value}}"}""");

        Assert.Equal(field, e.Field);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vxlan")]
    [InlineData("host-gw")]
    public void OtherBackendsAreRejectedNamingTheFix(string type)
    {
        NetworkConfigException e = Rejects($$$"""{"Network":"10.244.0.0/16","Backend":{"Type":"{{{type}}}"}}""");

        Assert.Equal("Backend.Type", e.Field);
        Assert.Contains(type, e.Message, StringComparison.Ordinal);
        Assert.Contains("only the udp backend", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":{}}""")]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":{"Port":8285}}""")]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":null}""")]
    public void BackendWithoutTypeIsRejected(string json)
    {
        NetworkConfigException e = Rejects(json);

        Assert.Equal("Backend.Type", e.Field);
        Assert.Contains("\"Type\": \"udp\"", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("\"8285\"")]
    public void BackendPortMustBeAPort(string port)
    {
        NetworkConfigException e = Rejects($$$"""{"Network":"10.244.0.0/16","Backend":{"Type":"udp","Port":{{{port}}}}}""");

        Assert.Equal("Backend.Port", e.Field);
        Assert.Contains("8285", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DisablingIPv4IsRejected()
    {
        NetworkConfigException e = Rejects("""{"Network":"10.244.0.0/16","EnableIPv4":false,"EnableIPv6":true}""");

        Assert.Equal("EnableIPv4", e.Field);
        Assert.Contains("set EnableIPv4 to true", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetLen":"24"}""", "SubnetLen")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetLen":-1}""", "SubnetLen")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetLen":24.5}""", "SubnetLen")]
    [InlineData("""{"Network":"10.244.0.0/16","EnableIPv6":"yes"}""", "EnableIPv6")]
    [InlineData("""{"Network":null}""", "Network")]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":"udp"}""", "Backend")]
    [InlineData("""{"Network":"10.244.0.0/16",""", "config")]
    [InlineData("""["10.244.0.0/16"]""", "config")]
    public void WrongJsonTypesNameTheField(string json, string field)
    {
        Assert.Equal(field, Rejects(json).Field);
    }
}
