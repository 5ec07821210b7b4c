using System.Globalization;
using System.Net;
using Overlay.Daemon.Options;
using Overlay.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Kubernetes;

/// <summary>The probes must reach overlayd's health server where the daemon will actually listen.</summary>
public class HealthProbeTests
{
    private static readonly PodTemplate s_pod = KubernetesManifest.Overlay.DaemonSetPod();

    private static YamlMappingNode Overlayd => s_pod.Container("overlayd");

    private static DaemonOptions Options => DaemonEnvironment.ParseOverlaydOptions();

    [Fact]
    public void Health_server_is_enabled()
    {
        // -healthz-port 0 (the default) turns the server off, and every probe would then fail.
        Assert.InRange(Options.HealthzPort, 1, 65535);
    }

    [Fact]
    public void Liveness_probe_gets_healthz_on_the_health_port()
    {
        YamlMappingNode probe = Overlayd.Map("livenessProbe").Map("httpGet");
        Assert.Equal("/healthz", probe.Text("path"));
        Assert.Equal(Options.HealthzPort, ProbePort(probe));
    }

    [Fact]
    public void Readiness_probe_gets_readyz_on_the_health_port()
    {
        YamlMappingNode probe = Overlayd.Map("readinessProbe").Map("httpGet");
        Assert.Equal("/readyz", probe.Text("path"));
        Assert.Equal(Options.HealthzPort, ProbePort(probe));
    }

    [Fact]
    public void Health_server_listens_where_the_kubelet_probes()
    {
        // With hostNetwork the kubelet probes the node's address, which only a wildcard listener is sure to cover.
        Assert.Equal(IPAddress.Any, Options.HealthzIp);
    }

    [Fact]
    public void Health_port_is_declared_as_a_tcp_port_of_the_container()
    {
        Assert.Contains(Overlayd.Seq("ports").Maps(), port =>
            port.Text("containerPort") == Options.HealthzPort.ToString(CultureInfo.InvariantCulture)
            && (port.OptionalText("protocol") ?? "TCP") == "TCP");
    }

    /// <summary>A probe port is a number or the name of one of the container's ports.</summary>
    private static int ProbePort(YamlMappingNode httpGet)
    {
        string port = httpGet.Text("port");
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return number;
        }
        YamlMappingNode named = Assert.Single(Overlayd.Seq("ports").Maps(), p => p.OptionalText("name") == port);
        return int.Parse(named.Text("containerPort"), CultureInfo.InvariantCulture);
    }
}
