using Overlay.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Kubernetes;

public class DaemonSetVolumeTests
{
    private const string ConflistDestination = "/etc/cni/net.d/10-flannel.conflist";

    private static readonly KubernetesManifest s_manifest = KubernetesManifest.Overlay;
    private static readonly PodTemplate s_pod = s_manifest.DaemonSetPod();

    private static YamlMappingNode Overlayd => s_pod.Container("overlayd");

    [Fact]
    public void Overlayd_shares_run_flannel_with_the_host()
    {
        // The flannel CNI plugin runs on the host and reads subnet.env there, so the directory must be the host's.
        YamlMappingNode hostPath = Assert.IsType<YamlMappingNode>(s_pod.HostPathAt(Overlayd, "/run/flannel"));
        Assert.Equal("/run/flannel", hostPath.Text("path"));
    }

    [Fact]
    public void Overlayd_gets_the_host_tun_device_as_a_character_device()
    {
        YamlMappingNode hostPath = Assert.IsType<YamlMappingNode>(s_pod.HostPathAt(Overlayd, "/dev/net/tun"));
        Assert.Equal("/dev/net/tun", hostPath.Text("path"));
        Assert.Equal("CharDevice", hostPath.Text("type"));
    }

    [Fact]
    public void An_init_container_installs_the_cni_conflist_into_the_host_cni_directory()
    {
        YamlMappingNode installer = ConflistInstaller();
        Assert.Equal(["cp"], installer.Seq("command").Texts());
        YamlMappingNode hostPath = Assert.IsType<YamlMappingNode>(s_pod.HostPathAt(installer, "/etc/cni/net.d"));
        Assert.Equal("/etc/cni/net.d", hostPath.Text("path"));
    }

    [Fact]
    public void The_conflist_installer_copies_the_cni_conf_key_of_the_config_map()
    {
        YamlMappingNode installer = ConflistInstaller();
        IReadOnlyList<string> args = PodTemplate.Args(installer);
        string source = args[^2];

        YamlMappingNode mount = Assert.Single(installer.Seq("volumeMounts").Maps(),
            m => source.StartsWith(m.Text("mountPath").TrimEnd('/') + "/", StringComparison.Ordinal));
        string key = source[(mount.Text("mountPath").TrimEnd('/').Length + 1)..];
        Assert.Equal("cni-conf.json", key);

        string configMap = s_pod.Volume(mount.Text("name")).Map("configMap").Text("name");
        Assert.NotEmpty(s_manifest.ConfigMapValue(configMap, key));
    }

    [Fact]
    public void Every_mount_names_a_volume_of_the_pod()
    {
        HashSet<string> volumes = s_pod.Volumes.Select(v => v.Text("name")).ToHashSet(StringComparer.Ordinal);
        Assert.All(s_pod.AllContainers.SelectMany(c => c.MapsOrEmpty("volumeMounts")),
            mount => Assert.Contains(mount.Text("name"), volumes));
    }

    private static YamlMappingNode ConflistInstaller() =>
        Assert.Single(s_pod.InitContainers, c => PodTemplate.Args(c) is [.., ConflistDestination]);
}
