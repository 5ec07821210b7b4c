using Overlay.Daemon.Options;
using Overlay.DataPlane.Forwarding;

namespace Overlay.Daemon.Tests;

public class FlagParsingTests
{
    private static DaemonOptions Parse(params string[] args) => DaemonOptions.Parse(args, _ => null);

    [Fact]
    public void Defaults_match_flanneld()
    {
        DaemonOptions options = Parse();
        Assert.Equal(["http://127.0.0.1:4001", "http://127.0.0.1:2379"], options.EtcdEndpoints);
        Assert.Equal("/coreos.com/network", options.EtcdPrefix);
        Assert.Equal("/run/flannel/subnet.env", options.SubnetFile);
        Assert.Equal(TimeSpan.FromMinutes(60), options.RenewMargin);
        Assert.Equal(0, options.HealthzPort);
        Assert.Equal("0.0.0.0", options.HealthzIp.ToString());
        Assert.False(options.IpMasquerade);
        Assert.Empty(options.Interfaces);
        Assert.Null(options.PublicIp);
        Assert.True(options.Offload);
        Assert.True(options.SourceCheck);
        Assert.Equal(DaemonOptions.DefaultQueues(Environment.ProcessorCount), options.Queues);
        Assert.Equal(64, options.BatchSize);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(4, 2)]
    [InlineData(7, 3)]
    [InlineData(64, 8)]
    public void Default_queue_count_is_one_per_two_cpus_within_1_to_8(int cpus, int queues) =>
        Assert.Equal(queues, DaemonOptions.DefaultQueues(cpus));

    [Fact]
    public void Data_plane_knobs_parse()
    {
        Assert.False(Parse("-source-check=false").SourceCheck);
        DaemonOptions options = Parse("-offload=false", "-queues=3", "-batch-size=128", "-udp-buffer-bytes=1048576", "-tun-txqueuelen=5000");
        Assert.False(options.Offload);
        Assert.Equal(3, options.Queues);
        Assert.Equal(128, options.BatchSize);
        Assert.Equal(1048576, options.UdpBufferBytes);
        Assert.Equal(5000, options.TunTxQueueLength);
    }

    [Fact]
    public void Per_peer_metrics_default_to_the_busiest_100_and_can_be_limited_or_turned_off()
    {
        Assert.Equal(100, Parse().MetricsPeers);
        Assert.Equal(0, Parse("-metrics-peers=0").MetricsPeers);
        Assert.Equal(5000, Parse("-metrics-peers", "5000").MetricsPeers);
        Assert.Equal(20, DaemonOptions.Parse([], name => name == "FLANNELD_METRICS_PEERS" ? "20" : null).MetricsPeers);
    }

    [Fact]
    public void Cpus_list_one_cpu_per_queue_and_default_to_no_pinning()
    {
        Assert.Empty(Parse().Cpus);
        Assert.Equal([2, 0, 3], Parse("-cpus=2, 0,3").Cpus);
        Assert.Equal([1], Parse("-cpus", "1").Cpus);
        Assert.Equal([0, 2, 3, 4], Parse("-cpus=0,2-4").Cpus);
    }

    [Fact]
    public void Light_load_pinning_is_on_unless_turned_off_by_flag_or_environment()
    {
        Assert.True(Parse().PinWhenLight);
        Assert.False(Parse("-pin-when-light=false").PinWhenLight);
        Assert.False(DaemonOptions.Parse([], name => name == "FLANNELD_PIN_WHEN_LIGHT" ? "false" : null).PinWhenLight);
    }

    [Fact]
    public void Icmp_replies_are_limited_as_the_kernel_limits_its_own_by_default()
    {
        DaemonOptions options = Parse();
        Assert.Equal((1000, 50), (options.IcmpReplyRate, options.IcmpReplyBurst));
        IcmpReplyLimiter limiter = options.CreateIcmpReplyLimiter()!;
        Assert.Equal((1000, 50), (limiter.RepliesPerSecond, limiter.Burst));
    }

    [Fact]
    public void Icmp_reply_limit_is_set_by_flag_or_environment_and_minus_one_lifts_it()
    {
        DaemonOptions options = Parse("-icmp-reply-rate=20", "-icmp-reply-burst", "5");
        Assert.Equal((20, 5), (options.IcmpReplyRate, options.IcmpReplyBurst));
        Assert.Equal(0, Parse("-icmp-reply-rate=0").CreateIcmpReplyLimiter()!.RepliesPerSecond);
        Assert.Null(Parse("-icmp-reply-rate", "-1").CreateIcmpReplyLimiter());

        var env = new Dictionary<string, string> { ["FLANNELD_ICMP_REPLY_RATE"] = "-1", ["FLANNELD_ICMP_REPLY_BURST"] = "7" };
        DaemonOptions fromEnv = DaemonOptions.Parse([], name => env.GetValueOrDefault(name));
        Assert.Equal((DaemonOptions.UnlimitedIcmpReplies, 7), (fromEnv.IcmpReplyRate, fromEnv.IcmpReplyBurst));
        Assert.Contains("FLANNELD_ICMP_REPLY_RATE", fromEnv.FromEnvironment);
    }

    [Theory]
    [InlineData("-icmp-reply-rate=-2")]
    [InlineData("-icmp-reply-rate=10000001")]
    public void Icmp_reply_rate_out_of_range_names_the_flag_and_the_special_values(string arg)
    {
        OptionsException error = Assert.Throws<OptionsException>(() => Parse(arg));
        Assert.Equal("icmp-reply-rate", error.Flag);
        Assert.Contains("0 for no replies or -1 for no limit", error.Message);
    }

    [Fact]
    public void A_cpu_the_process_may_not_run_on_is_refused_naming_the_ones_it_may()
    {
        DaemonOptions options = Parse("-cpus=0,5");
        options.CheckCpusAvailable([0, 5, 6]);

        OptionsException error = Assert.Throws<OptionsException>(() => options.CheckCpusAvailable([0, 1]));
        Assert.Equal("cpus", error.Flag);
        Assert.Contains("CPU 5", error.Message);
        Assert.Contains("0,1", error.Message);
    }

    [Theory]
    [InlineData("-etcd-prefix=/a/b")]
    [InlineData("--etcd-prefix=/a/b")]
    [InlineData("-etcd-prefix", "/a/b")]
    [InlineData("--etcd-prefix", "/a/b")]
    public void Every_go_flag_spelling_is_accepted(params string[] args) =>
        Assert.Equal("/a/b", Parse(args).EtcdPrefix);

    [Fact]
    public void Booleans_take_no_separate_value()
    {
        Assert.True(Parse("-version").ShowVersion);
        Assert.False(Parse("-version=false").ShowVersion);
        // "-version false": Go stops at the first non-flag argument; overlayd refuses stray arguments.
        Assert.Throws<UsageException>(() => Parse("-version", "false"));
    }

    [Fact]
    public void Iface_is_repeatable_and_keeps_order()
    {
        DaemonOptions options = Parse("-iface=eth1", "-iface", "198.18.0.9", "-public-ip=198.18.0.1");
        Assert.Equal(["eth1", "198.18.0.9"], options.Interfaces);
        Assert.Equal("198.18.0.1", options.PublicIp!.ToString());
    }

    [Fact]
    public void Unknown_flag_is_a_usage_error()
    {
        UsageException error = Assert.Throws<UsageException>(() => Parse("-no-such-flag=1"));
        Assert.Contains("-no-such-flag", error.Message);
    }

    [Fact]
    public void Missing_value_is_a_usage_error() =>
        Assert.Contains("-etcd-endpoints", Assert.Throws<UsageException>(() => Parse("-etcd-endpoints")).Message);

    [Theory]
    [InlineData("-h")]
    [InlineData("-help")]
    [InlineData("--help")]
    public void Help_is_its_own_outcome(string flag) =>
        Assert.Throws<HelpRequestedException>(() => Parse(flag));

    [Fact]
    public void Environment_fills_flags_not_given_and_ignores_empty_values()
    {
        var env = new Dictionary<string, string>
        {
            ["FLANNELD_ETCD_PREFIX"] = "/from/env",
            ["FLANNELD_IFACE"] = "ul0",
            ["FLANNELD_SUBNET_FILE"] = "",
            ["FLANNELD_IP_MASQ"] = "true",
            ["FLANNELD_SUBNET_LEASE_RENEW_MARGIN"] = "30",
        };
        DaemonOptions options = DaemonOptions.Parse(["-etcd-prefix=/from/flag"], name => env.GetValueOrDefault(name));
        Assert.Equal("/from/flag", options.EtcdPrefix);
        Assert.Equal(["ul0"], options.Interfaces);
        Assert.Equal("/run/flannel/subnet.env", options.SubnetFile);
        Assert.True(options.IpMasquerade);
        Assert.Equal(TimeSpan.FromMinutes(30), options.RenewMargin);
        Assert.Contains("FLANNELD_IFACE", options.FromEnvironment);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1440")]
    [InlineData("-5")]
    public void Renew_margin_outside_1_to_1439_names_the_flag(string minutes)
    {
        OptionsException error = Assert.Throws<OptionsException>(() => Parse("-subnet-lease-renew-margin=" + minutes));
        Assert.Equal("subnet-lease-renew-margin", error.Flag);
        Assert.Contains("1 to 1439", error.Message);
    }

    [Theory]
    [InlineData("-public-ip=not-an-ip", "public-ip")]
    [InlineData("-public-ip=::1", "public-ip")]
    [InlineData("-healthz-ip=x", "healthz-ip")]
    [InlineData("-healthz-port=70000", "healthz-port")]
    [InlineData("-etcd-endpoints=127.0.0.1:2379", "etcd-endpoints")]
    [InlineData("-iface-regex=(", "iface-regex")]
    [InlineData("-queues=65", "queues")]
    [InlineData("-batch-size=0", "batch-size")]
    [InlineData("-udp-buffer-bytes=100", "udp-buffer-bytes")]
    [InlineData("-tun-txqueuelen=0", "tun-txqueuelen")]
    [InlineData("-icmp-reply-burst=0", "icmp-reply-burst")]
    [InlineData("-icmp-reply-burst=1000001", "icmp-reply-burst")]
    [InlineData("-cpus=one", "cpus")]
    [InlineData("-cpus=0,,1", "cpus")]
    [InlineData("-cpus=-1", "cpus")]
    [InlineData("-cpus=1024", "cpus")]
    [InlineData("-cpus=0,1,0", "cpus")]
    [InlineData("-cpus=3-1", "cpus")]
    [InlineData("-cpus=0-1-2", "cpus")]
    [InlineData("-cpus=1-2,2", "cpus")]
    [InlineData("-metrics-peers=-1", "metrics-peers")]
    [InlineData("-metrics-peers=65537", "metrics-peers")]
    public void Bad_values_name_their_flag(string arg, string flag) =>
        Assert.Equal(flag, Assert.Throws<OptionsException>(() => Parse(arg)).Flag);

    [Fact]
    public void Non_numeric_value_for_a_number_is_a_usage_error() =>
        Assert.Contains("-healthz-port", Assert.Throws<UsageException>(() => Parse("-healthz-port=abc")).Message);

    [Fact]
    public void Usage_lists_every_flag_with_its_environment_hint()
    {
        string usage = DaemonFlags.Create().Usage("overlayd");
        foreach (FlagDefinition flag in DaemonFlags.Create().Definitions)
        {
            Assert.Contains("-" + flag.Name, usage);
        }
        Assert.Contains("FLANNELD_", usage);
    }

    [Theory]
    [InlineData("-kube-subnet-mgr", "Kubernetes subnet manager mode")]
    [InlineData("-kubeconfig-file=/etc/kubernetes/kubelet.conf", "Kubernetes subnet manager mode")]
    [InlineData("-kube-api-url=https://10.0.0.1:6443", "Kubernetes subnet manager mode")]
    [InlineData("-net-config-path=/etc/kube-flannel/net-conf.json", "<etcd-prefix>/config")]
    [InlineData("-public-ipv6=fd00::1", "IPv6 inside the overlay is not supported")]
    [InlineData("-iface-can-reach=10.0.0.1", "-iface (name or IP) or -iface-regex")]
    [InlineData("-networks=a,b", "multi-network mode")]
    [InlineData("--remote=10.0.0.1:8080", "client/server mode")]
    public void A_flanneld_flag_overlayd_lacks_names_its_mode_and_the_readme_section(string flag, string explanation)
    {
        UnsupportedFlagException e = Assert.Throws<UnsupportedFlagException>(() => Parse(flag));

        string name = flag.TrimStart('-').Split('=')[0];
        Assert.StartsWith($"-{name} is a flanneld flag that overlayd does not support", e.Message);
        Assert.Contains(explanation, e.Message);
        Assert.Contains("\"What is not supported\"", e.Message);
    }

    [Fact]
    public void An_unsupported_flanneld_flag_set_in_the_environment_is_refused_too()
    {
        UnsupportedFlagException e = Assert.Throws<UnsupportedFlagException>(() =>
            DaemonOptions.Parse([], name => name == "FLANNELD_KUBE_SUBNET_MGR" ? "true" : null));

        Assert.StartsWith("FLANNELD_KUBE_SUBNET_MGR is set: -kube-subnet-mgr is a flanneld flag", e.Message);
    }

    [Fact]
    public void Every_unsupported_flag_is_unknown_to_the_flag_set_and_an_empty_variable_is_ignored()
    {
        FlagSet flags = DaemonFlags.Create();
        foreach (string name in UnsupportedFlags.Names)
        {
            Assert.DoesNotContain(flags.Definitions, d => d.Name == name);
        }
        Assert.Empty(DaemonOptions.Parse([], name => name == "FLANNELD_KUBE_SUBNET_MGR" ? "" : null).Interfaces);
    }

    [Fact]
    public void A_flag_nobody_knows_is_still_the_generic_usage_error() =>
        Assert.Contains("flag provided but not defined: -no-such-flag", Assert.Throws<UsageException>(() => Parse("-no-such-flag")).Message);
}
