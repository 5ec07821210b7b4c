using Overlay.Daemon.Options;

namespace Overlay.Deploy.Tests.Support;

/// <summary>The overlayd container's environment from the manifest, and what the daemon's own parser makes of it.</summary>
internal static class DaemonEnvironment
{
    /// <summary>What the downward API would supply on a node; the address is a stand-in from the test underlay range.</summary>
    public static IReadOnlyDictionary<string, string> NodeFields { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["status.hostIP"] = "198.18.0.1",
        ["spec.nodeName"] = "node-a",
        ["metadata.name"] = "overlayd-x7k2p",
        ["metadata.namespace"] = "overlay-system",
    };

    public static IReadOnlyDictionary<string, string> Overlayd()
    {
        KubernetesManifest manifest = KubernetesManifest.Overlay;
        return ContainerEnvironment.Resolve(manifest, manifest.DaemonSetPod().Container("overlayd"), NodeFields);
    }

    /// <summary>
    /// Runs overlayd's option parser with no arguments over the container environment, as the entrypoint does;
    /// throws the daemon's own usage or options error when the manifest sets something overlayd refuses.
    /// </summary>
    public static DaemonOptions ParseOverlaydOptions()
    {
        IReadOnlyDictionary<string, string> environment = Overlayd();
        return DaemonOptions.Parse([], name => environment.GetValueOrDefault(name));
    }
}
