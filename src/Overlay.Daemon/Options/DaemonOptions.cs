using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Forwarding;

namespace Overlay.Daemon.Options;

/// <summary>Everything the command line and FLANNELD_* variables decided, validated.</summary>
internal sealed record DaemonOptions
{
    public required string[] EtcdEndpoints { get; init; }
    public required string EtcdPrefix { get; init; }
    public string? EtcdKeyFile { get; init; }
    public string? EtcdCertFile { get; init; }
    public string? EtcdCaFile { get; init; }
    public string? EtcdUsername { get; init; }
    public string? EtcdPassword { get; init; }
    public required IReadOnlyList<string> Interfaces { get; init; }
    public required IReadOnlyList<Regex> InterfaceRegexes { get; init; }
    public IPAddress? PublicIp { get; init; }
    public required string SubnetFile { get; init; }
    public required TimeSpan RenewMargin { get; init; }
    public bool IpMasquerade { get; init; }
    public bool IpMasqueradeFullyRandom { get; init; } = true;
    public TimeSpan RulesResync { get; init; } = TimeSpan.FromSeconds(5);
    public bool ForwardRules { get; init; } = true;
    public required IPAddress HealthzIp { get; init; }
    public int HealthzPort { get; init; }
    public int Verbosity { get; init; }
    public bool Offload { get; init; } = true;
    public bool SourceCheck { get; init; } = true;

    /// <summary>The admin socket's path, or null when disabled.</summary>
    public string? AdminSocket { get; init; } = "/run/flannel/overlayd.sock";

    /// <summary>Forwarding queues; 0 until resolved against the CPU count.</summary>
    public int Queues { get; init; }
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// CPUs for the forwarding threads: queue i's two threads both run on <c>Cpus[i % Cpus.Count]</c> (the list
    /// wraps when there are more queues; CPUs beyond the queue count go unused). Empty (the default): the scheduler
    /// places them.
    /// </summary>
    public IReadOnlyList<int> Cpus { get; init; } = [];

    /// <summary>
    /// Without <see cref="Cpus"/>: co-locate each queue's two forwarding threads on one CPU while traffic is light
    /// and spread them under load (see ThreadPlacementPolicy). Ignored when <see cref="Cpus"/> pins them for good.
    /// </summary>
    public bool PinWhenLight { get; init; } = true;
    public int UdpBufferBytes { get; init; } = 7 * 1024 * 1024;

    /// <summary>ICMP net-unreachable replies per second, the kernel's default; 0: none; <see cref="UnlimitedIcmpReplies"/>: no limit.</summary>
    public int IcmpReplyRate { get; init; } = IcmpReplyLimiter.DefaultRepliesPerSecond;

    /// <summary>ICMP replies allowed at once after a quiet spell.</summary>
    public int IcmpReplyBurst { get; init; } = IcmpReplyLimiter.DefaultBurst;
    public int TunTxQueueLength { get; init; } = 1000;

    /// <summary>
    /// Peers with their own series on /metrics, the busiest first; 0 exports none. A scrape costs about 20 µs per
    /// series in prometheus-net, and each peer has four, so thousands of peers made a scrape take most of a second.
    /// </summary>
    public int MetricsPeers { get; init; } = DefaultMetricsPeers;
    public const int DefaultMetricsPeers = 100;
    public bool ShowVersion { get; init; }
    public IReadOnlyList<string> FromEnvironment { get; init; } = [];

    /// <summary>
    /// One queue per two CPUs, 1 to 8: each queue runs two busy threads (TUN to UDP, UDP to TUN), and more threads
    /// than cores only adds wake-ups and cache misses (on 2 cores, 1 queue moved 1.5x the TCP of 2 queues).
    /// </summary>
    /// <summary>The <c>-icmp-reply-rate</c> that answers every unrouted packet, as flannel does.</summary>
    public const int UnlimitedIcmpReplies = -1;

    /// <summary>
    /// The shared limiter the outbound threads consult before answering an unrouted packet, or null when replies are
    /// unlimited.
    /// </summary>
    public IcmpReplyLimiter? CreateIcmpReplyLimiter() =>
        IcmpReplyRate == UnlimitedIcmpReplies ? null : new IcmpReplyLimiter(IcmpReplyRate, IcmpReplyBurst);

    public static int DefaultQueues(int processorCount) => Math.Clamp(processorCount / 2, 1, 8);

    /// <summary>Parses and validates; throws <see cref="UsageException"/> (exit 2) or <see cref="OptionsException"/> (exit 1).</summary>
    public static DaemonOptions Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        ParsedFlags flags = DaemonFlags.Create().Parse(args, environment);
        if (flags.Remaining.Count > 0)
        {
            throw new UsageException($"unexpected argument \"{flags.Remaining[0]}\": overlayd takes only flags");
        }

        int margin = flags.Int("subnet-lease-renew-margin", DaemonFlags.DefaultRenewMarginMinutes);
        if (margin is < 1 or > 1439)
        {
            throw new OptionsException("subnet-lease-renew-margin",
                $"-subnet-lease-renew-margin={margin} is out of range: use a number of minutes from 1 to 1439 (the lease lives 24 h; default 60)");
        }

        IPAddress? publicIp = null;
        if (flags.OptionalString("public-ip") is { } publicText)
        {
            if (!IPAddress.TryParse(publicText, out publicIp) || publicIp.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new OptionsException("public-ip", $"-public-ip=\"{publicText}\" is not an IPv4 address: give the dotted address peers should send to, e.g. -public-ip=198.18.0.1");
            }
        }

        string healthzText = flags.String("healthz-ip", "0.0.0.0");
        if (!IPAddress.TryParse(healthzText, out IPAddress? healthzIp))
        {
            throw new OptionsException("healthz-ip", $"-healthz-ip=\"{healthzText}\" is not an IP address: use e.g. 0.0.0.0 or 127.0.0.1");
        }
        int healthzPort = flags.Int("healthz-port", 0);
        if (healthzPort is < 0 or > 65535)
        {
            throw new OptionsException("healthz-port", $"-healthz-port={healthzPort} is out of range: use 1..65535, or 0 to disable");
        }

        string[] endpoints = flags.String("etcd-endpoints", DaemonFlags.DefaultEtcdEndpoints)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (endpoints.Length == 0)
        {
            throw new OptionsException("etcd-endpoints", "-etcd-endpoints is empty: give at least one URL, e.g. -etcd-endpoints=http://127.0.0.1:2379");
        }
        foreach (string endpoint in endpoints)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new OptionsException("etcd-endpoints", $"-etcd-endpoints entry \"{endpoint}\" is not an http(s) URL: write it as http://HOST:PORT or https://HOST:PORT");
            }
        }
        try
        {
            // The scheme decides TLS; a lone certificate or key, or a list mixing http:// and https://, is refused here.
            EtcdTransport.Choose(endpoints, flags.OptionalString("etcd-cafile"), flags.OptionalString("etcd-certfile"), flags.OptionalString("etcd-keyfile"));
        }
        catch (EtcdSettingsException e)
        {
            throw new OptionsException(e.Flags, e.Message);
        }

        var regexes = new List<Regex>();
        foreach (string pattern in flags.All("iface-regex"))
        {
            try
            {
                regexes.Add(new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
            }
            catch (ArgumentException e)
            {
                throw new OptionsException("iface-regex", $"-iface-regex=\"{pattern}\" is not a valid regular expression: {e.Message}");
            }
        }

        int resync = flags.Int("iptables-resync", 5);
        if (resync is < 1 or > 3600)
        {
            throw new OptionsException("iptables-resync", $"-iptables-resync={resync} is out of range: use 1..3600 seconds (default 5)");
        }
        int queues = flags.Int("queues", 0);
        if (queues is < 0 or > 64)
        {
            throw new OptionsException("queues", $"-queues={queues} is out of range: use 1..64, or 0 for one per two CPUs (1 to 8)");
        }
        int batchSize = flags.Int("batch-size", 64);
        if (batchSize is < 1 or > 1024)
        {
            throw new OptionsException("batch-size", $"-batch-size={batchSize} is out of range: use 1..1024 (default 64)");
        }
        int udpBuffer = flags.Int("udp-buffer-bytes", 7 * 1024 * 1024);
        if (udpBuffer is < 65536 or > 1 << 30)
        {
            throw new OptionsException("udp-buffer-bytes", $"-udp-buffer-bytes={udpBuffer} is out of range: use 65536..1073741824 (default 7340032)");
        }
        IReadOnlyList<int> cpus = ParseCpus(flags.String("cpus", ""));
        int icmpRate = flags.Int("icmp-reply-rate", IcmpReplyLimiter.DefaultRepliesPerSecond);
        if (icmpRate is < UnlimitedIcmpReplies or > IcmpReplyLimiter.MaximumRepliesPerSecond)
        {
            throw new OptionsException("icmp-reply-rate",
                $"-icmp-reply-rate={icmpRate} is out of range: use replies per second from 1 to {IcmpReplyLimiter.MaximumRepliesPerSecond}, 0 for no replies or -1 for no limit (default {IcmpReplyLimiter.DefaultRepliesPerSecond})");
        }
        int icmpBurst = flags.Int("icmp-reply-burst", IcmpReplyLimiter.DefaultBurst);
        if (icmpBurst is < 1 or > IcmpReplyLimiter.MaximumBurst)
        {
            throw new OptionsException("icmp-reply-burst",
                $"-icmp-reply-burst={icmpBurst} is out of range: use 1..{IcmpReplyLimiter.MaximumBurst} replies (default {IcmpReplyLimiter.DefaultBurst})");
        }
        int txQueue = flags.Int("tun-txqueuelen", 1000);
        if (txQueue is < 1 or > 1_000_000)
        {
            throw new OptionsException("tun-txqueuelen", $"-tun-txqueuelen={txQueue} is out of range: use 1..1000000 (default 1000)");
        }
        int metricsPeers = flags.Int("metrics-peers", DefaultMetricsPeers);
        if (metricsPeers is < 0 or > 65536)
        {
            throw new OptionsException("metrics-peers", $"-metrics-peers={metricsPeers} is out of range: use 0..65536 (0: no per-peer series; default {DefaultMetricsPeers})");
        }

        return new DaemonOptions
        {
            EtcdEndpoints = endpoints,
            EtcdPrefix = flags.String("etcd-prefix", DaemonFlags.DefaultEtcdPrefix),
            EtcdKeyFile = flags.OptionalString("etcd-keyfile"),
            EtcdCertFile = flags.OptionalString("etcd-certfile"),
            EtcdCaFile = flags.OptionalString("etcd-cafile"),
            EtcdUsername = flags.OptionalString("etcd-username"),
            EtcdPassword = flags.OptionalString("etcd-password"),
            Interfaces = flags.All("iface"),
            InterfaceRegexes = regexes,
            PublicIp = publicIp,
            SubnetFile = flags.String("subnet-file", DaemonFlags.DefaultSubnetFile),
            RenewMargin = TimeSpan.FromMinutes(margin),
            IpMasquerade = flags.Bool("ip-masq", false),
            IpMasqueradeFullyRandom = !flags.Bool("ip-masq-fully-random-disable", false),
            RulesResync = TimeSpan.FromSeconds(resync),
            ForwardRules = flags.Bool("iptables-forward-rules", true),
            HealthzIp = healthzIp,
            HealthzPort = healthzPort,
            Verbosity = flags.Int("v", 0),
            ShowVersion = flags.Bool("version", false),
            Offload = flags.Bool("offload", true),
            SourceCheck = flags.Bool("source-check", true),
            AdminSocket = flags.IsSet("admin-socket") ? flags.OptionalString("admin-socket") : "/run/flannel/overlayd.sock",
            Queues = queues == 0 ? DefaultQueues(Environment.ProcessorCount) : queues,
            BatchSize = batchSize,
            Cpus = cpus,
            PinWhenLight = flags.Bool("pin-when-light", true),
            UdpBufferBytes = udpBuffer,
            IcmpReplyRate = icmpRate,
            IcmpReplyBurst = icmpBurst,
            TunTxQueueLength = txQueue,
            MetricsPeers = metricsPeers,
            FromEnvironment = flags.FromEnvironment,
        };
    }

    /// <summary>
    /// Throws when <see cref="Cpus"/> names a CPU the daemon was not started allowed to use (offline, outside its
    /// cpuset, or left out by taskset), so it stops before it creates anything rather than losing a forwarding
    /// thread at start.
    /// </summary>
    /// <param name="allowed">The CPUs the starting thread may run on (sched_getaffinity).</param>
    public void CheckCpusAvailable(IReadOnlyList<int> allowed)
    {
        foreach (int cpu in Cpus)
        {
            if (!allowed.Contains(cpu))
            {
                throw new OptionsException("cpus",
                    $"-cpus names CPU {cpu}, which this process may not run on (it may run on {string.Join(",", allowed)}): list only those CPUs, or leave -cpus empty");
            }
        }
    }

    // "0,2-3": CPU numbers and ranges as the kernel and taskset write them, each CPU once, in queue order.
    private static IReadOnlyList<int> ParseCpus(string text)
    {
        if (text.Trim().Length == 0)
        {
            return [];
        }
        var cpus = new List<int>();
        foreach (string part in text.Split(','))
        {
            string item = part.Trim();
            string[] bounds = item.Split('-');
            if (bounds.Length > 2 || !TryParseCpu(bounds[0], out int first) || !TryParseCpu(bounds[^1], out int last) || last < first)
            {
                throw new OptionsException("cpus", $"-cpus=\"{text}\": \"{item}\" is not a CPU or a range of CPUs: give CPUs from 0 to 1023 separated by commas, ranges as first-last, e.g. -cpus=0,2-3");
            }
            for (int cpu = first; cpu <= last; cpu++)
            {
                if (cpus.Contains(cpu))
                {
                    throw new OptionsException("cpus", $"-cpus=\"{text}\" names CPU {cpu} twice: list each CPU once (queue i runs on the i-th)");
                }
                cpus.Add(cpu);
            }
        }
        return cpus;
    }

    private static bool TryParseCpu(string text, out int cpu) =>
        int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out cpu) && cpu <= 1023;
}
