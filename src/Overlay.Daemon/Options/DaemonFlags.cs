namespace Overlay.Daemon.Options;

/// <summary>The flags overlayd accepts: flanneld's names, defaults and meanings for everything a udp backend uses.</summary>
internal static class DaemonFlags
{
    public const string DefaultEtcdEndpoints = "http://127.0.0.1:4001,http://127.0.0.1:2379";
    public const string DefaultEtcdPrefix = "/coreos.com/network";
    public const string DefaultSubnetFile = "/run/flannel/subnet.env";
    public const int DefaultRenewMarginMinutes = 60;

    public static FlagSet Create()
    {
        var flags = new FlagSet();
        flags.Add(new("etcd-endpoints", "a comma-delimited list of etcd endpoints", DefaultText: DefaultEtcdEndpoints));
        flags.Add(new("etcd-prefix", "etcd prefix", DefaultText: DefaultEtcdPrefix));
        flags.Add(new("etcd-keyfile", "SSL key file used to secure etcd communication"));
        flags.Add(new("etcd-certfile", "SSL certification file used to secure etcd communication"));
        flags.Add(new("etcd-cafile", "SSL Certificate Authority file used to secure etcd communication"));
        flags.Add(new("etcd-username", "username for BasicAuth to etcd"));
        flags.Add(new("etcd-password", "password for BasicAuth to etcd"));
        flags.Add(new("iface", "interface to use (IP or name) for inter-host communication; may be repeated, the first match wins", Repeatable: true));
        flags.Add(new("iface-regex", "regex matched against interface IPs, then names, tried after -iface; may be repeated", Repeatable: true));
        flags.Add(new("public-ip", "IP accessible by other nodes for inter-host communication (written into the lease)"));
        flags.Add(new("subnet-file", "filename where env variables (subnet, MTU, ...) will be written to", DefaultText: DefaultSubnetFile));
        flags.Add(new("subnet-lease-renew-margin", "subnet lease renewal margin, in minutes, ranging from 1 to 1439", DefaultText: "60"));
        flags.Add(new("ip-masq", "setup IP masquerade rule for traffic destined outside of overlay network", IsBoolean: true, DefaultText: "false"));
        flags.Add(new("ip-masq-fully-random-disable", "disable --random-fully on the masquerade rules", IsBoolean: true, DefaultText: "false"));
        flags.Add(new("iptables-resync", "resync period of iptables rules, in seconds", DefaultText: "5"));
        flags.Add(new("iptables-forward-rules", "add FORWARD accept rules for the overlay network", IsBoolean: true, DefaultText: "true"));
        flags.Add(new("healthz-ip", "the IP address for healthz server to listen", DefaultText: "0.0.0.0"));
        flags.Add(new("healthz-port", "the port for healthz server to listen (0 to disable)", DefaultText: "0"));
        // Overlay's own data-plane knobs; flanneld has none of these, and the defaults are the fast path.
        flags.Add(new("offload", "use TUN segmentation offload and UDP GSO/GRO where the kernel has them (false: one packet per datagram both ways, like flannel's C forwarder)", IsBoolean: true, DefaultText: "true"));
        flags.Add(new("queues", "forwarding queues, one reactor thread pair each (0: one per two CPUs, 1 to 8)", DefaultText: "0"));
        flags.Add(new("cpus", "pin each queue's two forwarding threads to one CPU, queue i to the i-th CPU listed, wrapping (e.g. 0,1 or 2-3); empty: no pinning. Lower latency at light load, less throughput where the CPUs are shared", DefaultText: ""));
        flags.Add(new("pin-when-light", "without -cpus: while traffic is light (a few packets per wake-up), keep each queue's two forwarding threads on one CPU, and spread them again under load", IsBoolean: true, DefaultText: "true"));
        flags.Add(new("batch-size", "packets moved per syscall batch, 1 to 1024", DefaultText: "64"));
        flags.Add(new("udp-buffer-bytes", "UDP socket send and receive buffer size", DefaultText: "7340032"));
        flags.Add(new("tun-txqueuelen", "transmit queue length of the TUN device", DefaultText: "1000"));
        flags.Add(new("source-check", "drop datagrams whose source address is no peer's public IP in the lease table (set false when peers sit behind NAT)", IsBoolean: true, DefaultText: "true"));
        flags.Add(new("icmp-reply-rate", "ICMP net-unreachable replies per second for packets with no route, as the kernel's icmp_msgs_per_sec; 0: no replies, -1: no limit (as flannel)", DefaultText: "1000"));
        flags.Add(new("icmp-reply-burst", "ICMP replies allowed at once after a quiet spell, as the kernel's icmp_msgs_burst, 1 to 1000000", DefaultText: "50"));
        flags.Add(new("metrics-peers", "per-peer series on /metrics for at most this many peers, the busiest by bytes sent and received (0: none; totals are always there)", DefaultText: "100"));
        flags.Add(new("admin-socket", "Unix socket overlayctl talks to (routes, leases, stats, capture); empty disables it", DefaultText: "/run/flannel/overlayd.sock"));
        flags.Add(new("v", "log level: 0 lifecycle events, 1 and above adds debug detail", DefaultText: "0"));
        flags.Add(new("version", "print version and exit", IsBoolean: true));
        return flags;
    }
}
