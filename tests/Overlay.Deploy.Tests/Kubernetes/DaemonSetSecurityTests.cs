using Overlay.Deploy.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Kubernetes;

/// <summary>kube-flannel.yml's posture: host network, node-critical, everywhere, two capabilities, never privileged.</summary>
public class DaemonSetSecurityTests
{
    private static readonly PodTemplate s_pod = KubernetesManifest.Overlay.DaemonSetPod();

    private static YamlMappingNode Overlayd => s_pod.Container("overlayd");

    [Fact]
    public void Pod_runs_in_the_host_network_namespace() =>
        Assert.Equal("true", s_pod.Spec.Text("hostNetwork"));

    [Fact]
    public void Pod_is_node_critical() =>
        Assert.Equal("system-node-critical", s_pod.Spec.Text("priorityClassName"));

    [Fact]
    public void Pod_tolerates_every_no_schedule_taint()
    {
        // A toleration with no key and operator Exists matches every taint of its effect.
        Assert.Contains(s_pod.Spec.Seq("tolerations").Maps(), t =>
            t.OptionalText("key") is null && t.Text("operator") == "Exists" && t.Text("effect") == "NoSchedule");
    }

    [Fact]
    public void Overlayd_is_explicitly_unprivileged()
    {
        YamlMappingNode context = Overlayd.Map("securityContext");
        Assert.Equal("false", context.Text("privileged"));
        Assert.Equal("false", context.Text("allowPrivilegeEscalation"));
    }

    [Fact]
    public void Overlayd_adds_exactly_net_admin_and_net_raw_and_drops_the_rest()
    {
        YamlMappingNode capabilities = Overlayd.Map("securityContext").Map("capabilities");
        Assert.Equal(["NET_ADMIN", "NET_RAW"], capabilities.Seq("add").Texts().Order(StringComparer.Ordinal));
        Assert.Equal(["ALL"], capabilities.Seq("drop").Texts());
    }

    [Fact]
    public void No_container_in_the_pod_is_privileged_or_adds_other_capabilities()
    {
        Assert.All(s_pod.AllContainers, container =>
        {
            var context = container.Find("securityContext") as YamlMappingNode;
            Assert.NotEqual("true", context?.OptionalText("privileged"));
            if (context?.Find("capabilities") is YamlMappingNode capabilities && capabilities.Find("add") is not null)
            {
                Assert.Subset(new HashSet<string>(["NET_ADMIN", "NET_RAW"]), capabilities.Seq("add").Texts().ToHashSet());
            }
        });
        Assert.Null(s_pod.Spec.Find("hostPID"));
        Assert.Null(s_pod.Spec.Find("hostIPC"));
    }

    [Fact]
    public void Every_container_requests_cpu_and_memory()
    {
        Assert.All(s_pod.Containers, container =>
        {
            YamlMappingNode requests = container.Map("resources").Map("requests");
            Assert.NotEmpty(requests.Text("cpu"));
            Assert.NotEmpty(requests.Text("memory"));
        });
    }
}
