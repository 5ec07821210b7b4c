using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Kubernetes;

/// <summary>The conflist rules on known good and bad documents, so a passing manifest check means something.</summary>
public class CniConflistRulesTests
{
    private const string FlannelShipped =
        """{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"hairpinMode":true,"isDefaultGateway":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}""";

    [Fact]
    public void Flannel_shipped_conflist_has_no_problems() =>
        Assert.Empty(CniConflistRules.Problems(FlannelShipped));

    [Theory]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"portmap"},{"type":"flannel","delegate":{}}]}""", "plugins[0] is not the flannel plugin")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel"}]}""", "no delegate object")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":true}]}""", "no delegate object")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"type":"macvlan"}}]}""", "instead of bridge")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","plugins":[]}""", "plugins is missing")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","type":"flannel","delegate":{}}""", "plugins is missing")]
    [InlineData("""{"cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{}}]}""", "name is missing")]
    [InlineData("""{"name":"cbr0","plugins":[{"type":"flannel","delegate":{}}]}""", "cniVersion is missing")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.2.0","plugins":[{"type":"flannel","delegate":{}}]}""", "does not define plugin lists")]
    [InlineData("""{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{}},{"capabilities":{}}]}""", "plugins[1] has no string type")]
    [InlineData("""{"name":"cbr0",""", "not JSON")]
    public void Broken_conflists_are_named(string json, string expectedProblem) =>
        Assert.Contains(CniConflistRules.Problems(json), problem => problem.Contains(expectedProblem, StringComparison.Ordinal));

    [Fact]
    public void Flannel_plugin_reads_the_default_subnet_file_unless_told_otherwise()
    {
        Assert.Equal("/run/flannel/subnet.env", CniConflistRules.FlannelSubnetFile(FlannelShipped));
        string moved = FlannelShipped.Replace("\"type\":\"flannel\",", "\"type\":\"flannel\",\"subnetFile\":\"/run/overlay/subnet.env\",", StringComparison.Ordinal);
        Assert.Equal("/run/overlay/subnet.env", CniConflistRules.FlannelSubnetFile(moved));
    }
}
