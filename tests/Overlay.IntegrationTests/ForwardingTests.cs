using System.Globalization;
using System.Text.RegularExpressions;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>Two overlayd hosts and a real etcd: traffic, routes from hand-written leases, ICMP, health endpoints.</summary>
public sealed class ForwardingTests(ForwardingLabFixture fixture) : IClassFixture<ForwardingLabFixture>
{
    private OverlayLab Lab => fixture.Lab;

    [PrivilegedFact]
    public void Hosts_reach_each_other_over_the_overlay_both_ways()
    {
        ToolResult there = Lab.PingUntilReply(0, fixture.SecondTun, TimeSpan.FromSeconds(10));
        Assert.True(there.ExitCode == 0, $"h1 -> {fixture.SecondTun}: {there.StandardOutput}\n{fixture.First.Output}");
        ToolResult back = Lab.PingUntilReply(1, fixture.FirstTun, TimeSpan.FromSeconds(10));
        Assert.True(back.ExitCode == 0, $"h2 -> {fixture.FirstTun}: {back.StandardOutput}\n{fixture.Second.Output}");

        ToolResult burst = Lab.Ping(0, fixture.SecondTun, count: 20, interval: 0.01);
        Assert.Contains(" 0% packet loss", burst.StandardOutput);
    }

    [PrivilegedFact]
    public void Tcp_bulk_transfer_crosses_the_overlay()
    {
        Lab.PingUntilReply(0, fixture.SecondTun, TimeSpan.FromSeconds(10));
        using (IperfServer.Start(Lab.Host(1), fixture.SecondTun))
        {
            ToolResult client = Lab.Host(0).TryExec(TimeSpan.FromSeconds(20), "iperf3", "-c", fixture.SecondTun, "-t", "2", "-f", "m");
            Assert.True(client.ExitCode == 0, client.StandardOutput + client.StandardError);
            Assert.Contains("receiver", client.StandardOutput);
        }
        // The served host sent that stream: its TUN handed over TSO superpackets, each cut into several packets.
        string sent = HttpGet(0, 8471, "/metrics");
        long superpacketsRead = MetricValue(sent, "overlay_tun_superpackets_read");
        Assert.True(superpacketsRead > 0, sent);
        Assert.True(MetricValue(sent, "overlay_tun_superpacket_packets_read") >= 2 * superpacketsRead, sent);

        // The other way, into the host whose metrics are served: its socket's coalesced receives of full-size segments
        // land straight in the forwarding batch.
        using IperfServer server = IperfServer.Start(Lab.Host(1), fixture.SecondTun);
        ToolResult reverse = Lab.Host(0).TryExec(TimeSpan.FromSeconds(20), "iperf3", "-c", fixture.SecondTun, "-t", "2", "-f", "m", "-R");
        Assert.True(reverse.ExitCode == 0, reverse.StandardOutput + reverse.StandardError);
        string metrics = HttpGet(0, 8471, "/metrics");
        Assert.Matches(@"overlay_udp_gro_messages_in_place\S* [1-9]", metrics);
        long superpacketsWritten = MetricValue(metrics, "overlay_tun_superpackets_written");
        Assert.True(superpacketsWritten > 0, metrics);
        Assert.True(MetricValue(metrics, "overlay_tun_superpacket_packets_written") >= 2 * superpacketsWritten, metrics);
    }

    [PrivilegedFact]
    public void A_lease_written_by_hand_becomes_a_route_within_a_second_and_its_deletion_brings_net_unreachable()
    {
        const string key = OverlayLab.Prefix + "/subnets/10.244.250.0-24";
        string leaseId = Lab.Etcd.Etcdctl("lease", "grant", "600").Split(' ')[1];
        long before = Lab.UdpNoPorts(2);

        // Exactly what flanneld's udp backend writes for a host whose public IP is 198.18.0.3 (host 3: nothing listens).
        Lab.Etcd.Etcdctl("put", "--lease=" + leaseId, key, """{"PublicIP":"198.18.0.3","PublicIPv6":null}""");
        Thread.Sleep(1000);
        ToolResult routed = Lab.Ping(0, "10.244.250.1", count: 3);
        Assert.DoesNotContain("Unreachable", routed.StandardOutput);
        Assert.True(Lab.UdpNoPorts(2) - before >= 3, "host 3 should have received the encapsulated pings on UDP 8285");

        Lab.Etcd.Etcdctl("del", key);
        Thread.Sleep(1000);
        long unreachableBefore = Lab.IcmpDestinationUnreachables(0);
        long noPortsBefore = Lab.UdpNoPorts(2);
        Lab.SendUdp(0, "10.244.250.1", count: 3);
        Assert.Equal(noPortsBefore, Lab.UdpNoPorts(2));
        Assert.True(Lab.IcmpDestinationUnreachables(0) - unreachableBefore >= 3,
            "the sender should have received an ICMP net-unreachable for each datagram without a route");
    }

    [PrivilegedFact]
    public void Malformed_leases_leave_every_other_route_intact()
    {
        const string good = OverlayLab.Prefix + "/subnets/10.244.251.0-24";
        Lab.Etcd.Etcdctl("put", good, """{"PublicIP":"198.18.0.3","PublicIPv6":null}""");
        try
        {
            Lab.Etcd.Etcdctl("put", OverlayLab.Prefix + "/subnets/10.244.252.0-24", "garbage");
            Lab.Etcd.Etcdctl("put", OverlayLab.Prefix + "/subnets/10.244.253.0-24", """{"PublicIP":"","PublicIPv6":null}""");
            Lab.Etcd.Etcdctl("put", OverlayLab.Prefix + "/subnets/not-a-subnet", """{"PublicIP":"198.18.0.3","PublicIPv6":null}""");
            Thread.Sleep(1000);

            Assert.Equal(0, Lab.Ping(0, fixture.SecondTun, count: 3).ExitCode);
            long before = Lab.UdpNoPorts(2);
            Assert.DoesNotContain("Unreachable", Lab.Ping(0, "10.244.251.1", count: 2).StandardOutput);
            Assert.True(Lab.UdpNoPorts(2) - before >= 2, "the well-formed hand-written lease must still route");
            long unreachableBefore = Lab.IcmpDestinationUnreachables(0);
            Lab.SendUdp(0, "10.244.252.1");
            Assert.True(Lab.IcmpDestinationUnreachables(0) > unreachableBefore, "a malformed lease must not become a route");
            Assert.False(fixture.First.HasExited, fixture.First.Output);
        }
        finally
        {
            Lab.Etcd.Etcdctl("del", "--prefix", OverlayLab.Prefix + "/subnets/10.244.25");
            Lab.Etcd.Etcdctl("del", OverlayLab.Prefix + "/subnets/not-a-subnet");
        }
    }

    [PrivilegedFact]
    public void Health_endpoints_answer_as_flanneld_does()
    {
        string healthz = HttpGet(0, 8471, "/healthz");
        Assert.StartsWith("HTTP/1.1 200", healthz);
        Assert.EndsWith("flanneld is running", healthz.TrimEnd());
        string readyz = HttpGet(0, 8471, "/readyz");
        Assert.StartsWith("HTTP/1.1 200", readyz);
        Assert.EndsWith("flanneld is ready", readyz.TrimEnd());
    }

    [PrivilegedFact]
    public void Metrics_are_served_in_prometheus_text_on_the_health_port()
    {
        Assert.Equal(0, Lab.PingUntilReply(0, fixture.SecondTun, TimeSpan.FromSeconds(10)).ExitCode);
        string metrics = HttpGet(0, 8471, "/metrics");
        Assert.StartsWith("HTTP/1.1 200", metrics);
        foreach (string name in (string[])["overlay_udp_sent_packets", "overlay_udp_received_packets", "overlay_dropped_packets",
            "overlay_routes", "overlay_etcd_connected", "overlay_etcd_watch_revision", "overlay_lease_expiry_seconds"])
        {
            Assert.Contains(name, metrics);
        }
        Assert.Matches(@"overlay_dropped_packets\S*\{reason=""NoRoute""\}", metrics);
        Assert.Matches(@"overlay_etcd_connected\S* 1", metrics);
        Assert.Matches(@"overlay_udp_sent_packets\S* [1-9]", metrics);
        // The ping went to and came back from the second host, whose public IP labels its per-peer series.
        Assert.Matches(@"overlay_peer_sent_packets\S*\{peer=""198\.18\.0\.2""\} [1-9]", metrics);
        Assert.Matches(@"overlay_peer_received_packets\S*\{peer=""198\.18\.0\.2""\} [1-9]", metrics);
        Assert.Matches(@"overlay_peer_sent_bytes\S*\{peer=""198\.18\.0\.2""\} [1-9]", metrics);
        // Each echo request was a batch of one packet read from the TUN device.
        Assert.Matches(@"overlay_batches\S*\{direction=""tun_to_udp"",packets=""1""\} [1-9]", metrics);
        // Every bucket is exported, used or not (a ping fills only small ones): the series must exist, at any value.
        Assert.Matches(@"overlay_batches\S*\{direction=""udp_to_tun"",packets=""64\+""\} \d", metrics);
        // The I/O layer's own error counts are exported beside the drops they explain; nothing failed here.
        foreach (string name in (string[])["overlay_udp_send_failures", "overlay_udp_receive_errors", "overlay_udp_truncated_datagrams",
            "overlay_tun_read_errors", "overlay_tun_write_failures"])
        {
            Assert.Matches(name + @"\S* 0\b", metrics);
        }
        // The lab runs with offloads: GSO is on, and this host's lease is labelled.
        Assert.Matches(@"overlay_udp_gso_enabled\S* 1", metrics);
        Assert.Matches(@"overlay_lease_info\{subnet=""10\.244\.\d+\.0/24""\} 1", metrics);
    }

    [PrivilegedFact]
    public void Device_and_subnet_file_look_like_flannels()
    {
        string link = Lab.Host(0).Exec("ip", "-o", "link", "show", "flannel0");
        Assert.Contains("mtu 1472", link);
        string address = Lab.Host(0).Exec("ip", "-o", "-4", "addr", "show", "dev", "flannel0");
        Assert.Contains(fixture.FirstTun + "/32", address);
        string route = Lab.Host(0).Exec("ip", "route", "show", OverlayLab.Network);
        Assert.Contains("dev flannel0", route);

        string[] lines = File.ReadAllLines(Lab.SubnetFileFor(0));
        Assert.Equal(4, lines.Length);
        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16", lines[0]);
        Assert.Matches(@"^FLANNEL_SUBNET=10\.244\.\d+\.1/24$", lines[1]);
        Assert.Equal("FLANNEL_MTU=1472", lines[2]);
        Assert.Equal("FLANNEL_IPMASQ=false", lines[3]);

        string lease = Lab.Etcd.Etcdctl("get", "--print-value-only", $"{OverlayLab.Prefix}/subnets/{fixture.FirstTun}-24");
        Assert.Equal("""{"PublicIP":"198.18.0.1","PublicIPv6":null}""", lease.Trim());
    }

    /// <summary>The value of an unlabelled Prometheus series, whatever suffix the exporter gave its name; fails when absent.</summary>
    private static long MetricValue(string metrics, string name)
    {
        Match line = Regex.Match(metrics, $@"^{name}\S* (\d+)\s*$", RegexOptions.Multiline);
        Assert.True(line.Success, $"no series {name} in:\n{metrics}");
        return long.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>A bare HTTP/1.1 request from inside the host namespace, with bash's /dev/tcp (no curl needed).</summary>
    private string HttpGet(int host, int port, string path) => Lab.HttpGet(host, port, path);
}
