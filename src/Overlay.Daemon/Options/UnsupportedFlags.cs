namespace Overlay.Daemon.Options;

/// <summary>
/// flanneld flags that overlayd knows but does not implement, each with what it belongs to and what to do instead.
/// A unit file or environment file carried over from flanneld that sets one of them gets this answer (exit 2)
/// rather than Go's generic "flag provided but not defined", so the operator learns which mode is missing.
/// </summary>
internal static class UnsupportedFlags
{
    private const string SeeReadme = "the README's \"What is not supported\" lists every flanneld flag overlayd leaves out";

    private const string KubeMode =
        "belongs to flanneld's Kubernetes subnet manager mode (leases kept in Node objects through the API server); " +
        "overlayd keeps leases in etcd only, as flanneld does without -kube-subnet-mgr: drop the flag and point " +
        "-etcd-endpoints at the cluster's etcd";

    private static readonly Dictionary<string, string> s_explanations = new(StringComparer.Ordinal)
    {
        ["kube-subnet-mgr"] = KubeMode,
        ["kube-api-url"] = KubeMode,
        ["kubeconfig-file"] = KubeMode,
        ["kube-annotation-prefix"] = KubeMode,
        ["net-config-path"] = KubeMode + " (the network config is read from <etcd-prefix>/config)",
        ["set-node-network-unavailable"] = KubeMode,
        ["use-multi-cluster-cidr"] = KubeMode,
        ["public-ipv6"] = "sets the IPv6 address of a dual-stack lease; overlayd's udp backend carries IPv4 only, so IPv6 inside the overlay is not supported",
        ["iface-can-reach"] = "is not implemented; choose the interface with -iface (name or IP) or -iface-regex",
        ["ip-blackhole-route"] = "is not implemented; overlayd adds no blackhole route for the node subnet",
        ["listen"] = "belongs to flannel's client/server mode, removed from flanneld in 0.8; every overlayd talks to etcd itself",
        ["remote"] = "belongs to flannel's client/server mode, removed from flanneld in 0.8; every overlayd talks to etcd itself",
        ["remote-keyfile"] = "belongs to flannel's client/server mode, removed from flanneld in 0.8; use -etcd-keyfile",
        ["remote-certfile"] = "belongs to flannel's client/server mode, removed from flanneld in 0.8; use -etcd-certfile",
        ["remote-cafile"] = "belongs to flannel's client/server mode, removed from flanneld in 0.8; use -etcd-cafile",
        ["networks"] = "belongs to flannel's multi-network mode, removed from flanneld in 0.8; run one overlayd per network, each with its own -etcd-prefix, -subnet-file and Backend.Port",
        ["subnet-dir"] = "belongs to flannel's multi-network mode, removed from flanneld in 0.8; use -subnet-file",
        ["vmodule"] = "is a klog flag overlayd does not have; use -v for more detail",
        ["log_backtrace_at"] = "is a klog flag overlayd does not have; use -v for more detail",
    };

    /// <summary>Every flag name in the table, for tests and the README.</summary>
    public static IReadOnlyCollection<string> Names => s_explanations.Keys;

    /// <summary>The message for <paramref name="name"/>, or null when overlayd does not know the flag at all.</summary>
    public static string? Explain(string name) =>
        s_explanations.TryGetValue(name, out string? why) ? $"-{name} is a flanneld flag that overlayd does not support: it {why}; {SeeReadme}" : null;
}
