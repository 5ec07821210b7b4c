using System.Globalization;
using System.Text.Json;
using Overlay.ControlPlane.Config;
using Overlay.Deploy.Tests.Support;
using Overlay.DataPlane.Routing;
using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Kubernetes;

/// <summary>net-conf.json is the copy of what the operator writes to etcd at &lt;prefix&gt;/config.</summary>
public class NetConfTests
{
    private static readonly KubernetesManifest s_manifest = KubernetesManifest.Overlay;

    private static string NetConf => s_manifest.ConfigValue("net-conf.json");

    [Fact]
    public void Net_conf_is_json_selecting_the_udp_backend()
    {
        using JsonDocument document = JsonDocument.Parse(NetConf);
        JsonElement backend = document.RootElement.GetProperty("Backend");
        Assert.Equal("udp", backend.GetProperty("Type").GetString());
        Assert.Equal(JsonValueKind.Number, backend.GetProperty("Port").ValueKind);
    }

    [Fact]
    public void Overlayd_accepts_net_conf_as_its_etcd_network_config()
    {
        NetworkConfig config = NetworkConfigParser.Parse(NetConf);
        Assert.Equal(NetworkConfigParser.UdpBackend, config.BackendType);
        Assert.Equal(Ipv4Subnet.Parse("10.244.0.0/16"), config.Network);
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void Backend_port_is_declared_as_a_udp_port_of_overlayd()
    {
        // With hostNetwork a declared port is a node port, so the scheduler keeps two forwarders off one node.
        NetworkConfig config = NetworkConfigParser.Parse(NetConf);
        YamlMappingNode overlayd = s_manifest.DaemonSetPod().Container("overlayd");
        Assert.Contains(overlayd.Seq("ports").Maps(), port =>
            port.Text("containerPort") == config.BackendPort.ToString(CultureInfo.InvariantCulture)
            && port.Text("protocol") == "UDP");
    }
}
