using System.Text.Json;
using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Kubernetes;

public class CniConfTests
{
    private static string CniConf => KubernetesManifest.Overlay.ConfigValue("cni-conf.json");

    [Fact]
    public void Cni_conf_is_a_conflist_the_flannel_plugin_can_run() =>
        Assert.Empty(CniConflistRules.Problems(CniConf));

    [Fact]
    public void Cni_conf_has_the_shape_flannel_ships()
    {
        using JsonDocument document = JsonDocument.Parse(CniConf);
        JsonElement root = document.RootElement;
        Assert.Equal("cbr0", root.GetProperty("name").GetString());
        Assert.Equal("0.3.1", root.GetProperty("cniVersion").GetString());

        JsonElement[] plugins = root.GetProperty("plugins").EnumerateArray().ToArray();
        Assert.Equal(["flannel", "portmap"], plugins.Select(p => p.GetProperty("type").GetString()));
        JsonElement @delegate = plugins[0].GetProperty("delegate");
        Assert.True(@delegate.GetProperty("hairpinMode").GetBoolean());
        Assert.True(@delegate.GetProperty("isDefaultGateway").GetBoolean());
        Assert.True(plugins[1].GetProperty("capabilities").GetProperty("portMappings").GetBoolean());
    }
}
