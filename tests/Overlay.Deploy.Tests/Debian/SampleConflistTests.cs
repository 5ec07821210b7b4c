using System.Text.Json.Nodes;
using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Debian;

/// <summary>deploy/cni/10-flannel.conflist, the package's sample for /etc/cni/net.d: the manifest's conflist, usable by the flannel plugin.</summary>
public class SampleConflistTests
{
    private static string Sample => File.ReadAllText(RepositoryFiles.At("deploy", "cni", "10-flannel.conflist"));

    [Fact]
    public void Sample_is_a_conflist_the_flannel_plugin_can_run() => Assert.Empty(CniConflistRules.Problems(Sample));

    [Fact]
    public void Sample_equals_the_kubernetes_manifests_cni_conf() =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Sample), JsonNode.Parse(KubernetesManifest.Overlay.ConfigValue("cni-conf.json"))),
            "deploy/cni/10-flannel.conflist and cni-conf.json in deploy/kubernetes/overlay.yaml differ: keep them equal");
}
