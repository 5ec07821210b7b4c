using Overlay.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Kubernetes;

public class ManifestObjectsTests
{
    private static readonly KubernetesManifest s_manifest = KubernetesManifest.Overlay;

    [Fact]
    public void Manifest_declares_namespace_account_configs_and_daemonset_and_no_rbac()
    {
        // With the etcd subnet manager overlayd never calls the API server, so any Role or binding would be a
        // permission nobody uses.
        string[] kinds = s_manifest.Kinds.Distinct().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"], kinds);
        Assert.Single(s_manifest.OfKind("DaemonSet"));
    }

    [Fact]
    public void Every_object_names_its_api_version_kind_and_name()
    {
        Assert.All(s_manifest.Objects, o =>
        {
            Assert.NotEmpty(o.Text("apiVersion"));
            Assert.NotEmpty(o.Text("kind"));
            Assert.NotEmpty(o.Map("metadata").Text("name"));
        });
    }

    [Fact]
    public void Every_namespaced_object_lives_in_the_manifest_namespace()
    {
        string @namespace = s_manifest.Single("Namespace").Map("metadata").Text("name");
        IEnumerable<YamlMappingNode> namespaced = s_manifest.Objects.Where(o => o.Text("kind") != "Namespace");
        Assert.All(namespaced, o => Assert.Equal(@namespace, o.Map("metadata").OptionalText("namespace")));
    }

    [Fact]
    public void Namespace_pod_security_level_admits_host_network_and_host_paths()
    {
        // "baseline" and "restricted" reject hostNetwork and hostPath volumes, so the DaemonSet's pods would never be created.
        YamlMappingNode labels = s_manifest.Single("Namespace").Map("metadata").Map("labels");
        Assert.Equal("privileged", labels.Text("pod-security.kubernetes.io/enforce"));
    }

    [Fact]
    public void Daemonset_runs_under_the_manifest_service_account_without_an_api_token()
    {
        PodTemplate pod = s_manifest.DaemonSetPod();
        string account = pod.Spec.Text("serviceAccountName");
        YamlMappingNode serviceAccount = s_manifest.Single("ServiceAccount", account);
        Assert.Equal("false", serviceAccount.Text("automountServiceAccountToken"));
        Assert.Equal("false", pod.Spec.Text("automountServiceAccountToken"));
    }

    [Fact]
    public void Daemonset_selector_matches_its_pod_template_labels()
    {
        YamlMappingNode spec = s_manifest.Single("DaemonSet").Map("spec");
        YamlMappingNode selector = spec.Map("selector").Map("matchLabels");
        YamlMappingNode labels = spec.Map("template").Map("metadata").Map("labels");
        Assert.NotEmpty(selector.Children);
        Assert.All(selector.Children, pair =>
            Assert.Equal(((YamlScalarNode)pair.Value).Value, labels.Text(((YamlScalarNode)pair.Key).Value!)));
    }
}
