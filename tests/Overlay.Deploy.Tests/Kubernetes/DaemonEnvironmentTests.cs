using Overlay.Daemon.Options;
using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Kubernetes;

/// <summary>The FLANNELD_* settings of the DaemonSet, checked against overlayd's own flag table and parser.</summary>
public class DaemonEnvironmentTests
{
    private static readonly KubernetesManifest s_manifest = KubernetesManifest.Overlay;

    public static TheoryData<string> FlanneldVariablesInManifest()
    {
        var data = new TheoryData<string>();
        foreach (string name in s_manifest.DaemonSetPod().AllContainers
                     .SelectMany(c => c.MapsOrEmpty("env"))
                     .Select(v => v.Text("name"))
                     .Where(n => n.StartsWith("FLANNELD_", StringComparison.Ordinal))
                     .Distinct(StringComparer.Ordinal))
        {
            data.Add(name);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(FlanneldVariablesInManifest))]
    public void Every_flanneld_variable_is_a_flag_overlayd_accepts(string name)
    {
        IEnumerable<string> accepted = DaemonFlags.Create().Definitions.Select(d => d.EnvironmentName);
        Assert.Contains(name, accepted);
    }

    [Fact]
    public void Manifest_sets_the_settings_a_node_cannot_default()
    {
        IReadOnlyDictionary<string, string> environment = DaemonEnvironment.Overlayd();
        Assert.Contains("FLANNELD_ETCD_ENDPOINTS", environment.Keys);
        Assert.Contains("FLANNELD_IFACE", environment.Keys);
        Assert.Contains("FLANNELD_HEALTHZ_PORT", environment.Keys);
    }

    [Fact]
    public void Etcd_endpoints_come_from_a_config_map_key()
    {
        IReadOnlyDictionary<string, string> sources = ContainerEnvironment.Sources(s_manifest.DaemonSetPod().Container("overlayd"));
        Assert.Equal("configMapKeyRef", sources["FLANNELD_ETCD_ENDPOINTS"]);
    }

    [Fact]
    public void Overlayd_accepts_the_whole_container_environment()
    {
        // Parse throws the same usage or options error the container would die with.
        DaemonOptions options = DaemonEnvironment.ParseOverlaydOptions();
        IReadOnlyDictionary<string, string> environment = DaemonEnvironment.Overlayd();

        Assert.Equal(environment["FLANNELD_ETCD_ENDPOINTS"].Split(','), options.EtcdEndpoints);
        Assert.Equal([DaemonEnvironment.NodeFields["status.hostIP"]], options.Interfaces);
        Assert.StartsWith("/", options.EtcdPrefix, StringComparison.Ordinal);
        // -ip-masq stays off: the image carries no iptables or nft to install the masquerade rules with.
        Assert.False(options.IpMasquerade);
    }

    [Fact]
    public void Subnet_file_is_written_where_the_flannel_cni_plugin_reads_it_on_the_host()
    {
        DaemonOptions options = DaemonEnvironment.ParseOverlaydOptions();
        PodTemplate pod = s_manifest.DaemonSetPod();
        string directory = Path.GetDirectoryName(options.SubnetFile)!;

        string hostDirectory = Assert.IsType<YamlDotNet.RepresentationModel.YamlMappingNode>(
            pod.HostPathAt(pod.Container("overlayd"), directory)).Text("path");
        string onHost = hostDirectory.TrimEnd('/') + "/" + Path.GetFileName(options.SubnetFile);

        string conflist = s_manifest.ConfigValue("cni-conf.json");
        Assert.Equal(CniConflistRules.FlannelSubnetFile(conflist), onHost);
    }
}
