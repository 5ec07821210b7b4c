using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// A process on a host floods an overlay address that no lease covers. overlayd answers with ICMP net-unreachable
/// only within its reply limit (the kernel's 1,000 a second, burst 50, by default), so a TCP stream into that host
/// keeps at least the rate it keeps while the same flood goes to a routed address. Without the limit, the replies
/// written into the TUN crowd out the stream's own packets.
/// </summary>
public sealed partial class IcmpReplyFloodTests(ITestOutputHelper output)
{
    // The ceiling of the flood; on a shared 2-core machine the sender reaches less, the same in both halves of a pair.
    private const int FloodPerSecond = 200_000;
    private const int StreamSeconds = 4;
    private const int Attempts = 3;
    private const double KeptFraction = 0.9;
    private const int RetransmitMargin = 20;
    private const int ReplyRate = 1000;
    private const int ReplyBurst = 50;

    [PrivilegedFact]
    public void A_flood_to_an_unrouted_address_costs_a_tcp_stream_no_more_than_one_to_a_routed_address()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1, "-healthz-ip=127.0.0.1", "-healthz-port=8471");
        string firstTun = OverlayLab.TunAddress(first.WaitForSubnet(TimeSpan.FromSeconds(30)));
        string secondTun = OverlayLab.TunAddress(second.WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal(0, lab.PingUntilReply(1, firstTun, TimeSpan.FromSeconds(10)).ExitCode);
        // Routed: host 1's own flannel0 address, whose kernel answers the flood with port-unreachables of its own
        // (limited by its icmp_msgs_per_sec). Unrouted: inside the overlay network, in no lease.
        var routed = new IPEndPoint(IPAddress.Parse(firstTun), 9);
        var unrouted = new IPEndPoint(IPAddress.Parse(UnleasedAddress(firstTun, secondTun)), 9);

        Phase alone = StreamDuringFlood(lab, secondTun, flood: null);
        var report = new List<string> { "alone:    " + alone };
        output.WriteLine(report[0]);
        bool kept = false;
        for (int attempt = 1; attempt <= Attempts && !kept; attempt++)
        {
            Phase toRouted = StreamDuringFlood(lab, secondTun, routed);
            Phase toUnrouted = StreamDuringFlood(lab, secondTun, unrouted);
            report.Add($"pair {attempt} routed:   {toRouted}");
            report.Add($"pair {attempt} unrouted: {toUnrouted}");
            output.WriteLine(report[^2]);
            output.WriteLine(report[^1]);
            string all = string.Join("\n", report);

            // The limit holds in every pair, whatever the machine's load.
            Assert.True(toUnrouted.RepliesSuppressed > 0, "the limit suppressed no reply:\n" + all);
            Assert.True(toUnrouted.RepliesSent <= (ReplyRate * toUnrouted.Window.TotalSeconds) + ReplyBurst,
                "more replies than the limit allows:\n" + all);
            Assert.Equal((0L, 0L), (toRouted.RepliesSent, toRouted.RepliesSuppressed));

            kept = toUnrouted.GbitsPerSecond >= KeptFraction * toRouted.GbitsPerSecond &&
                toUnrouted.Retransmits <= toRouted.Retransmits + RetransmitMargin;
        }
        Assert.True(kept,
            $"in no pair did the stream keep {KeptFraction:0.0}x its rate under the routed flood, with at most " +
            $"{RetransmitMargin} more retransmits, under the unrouted one:\n{string.Join("\n", report)}");

        Assert.Equal(0, second.Stop(TimeSpan.FromSeconds(15)));
        ForwardingTotals totals = ForwardingTotals.Parse(second.Output);
        output.WriteLine("host 2's totals: " + totals);
        Assert.True(totals["IcmpRepliesSuppressed"] > 0, totals.ToString());
        Assert.True(totals["DroppedNoRoute"] >= totals["IcmpRepliesGenerated"] + totals["IcmpRepliesSuppressed"], totals.ToString());
    }

    /// <summary>
    /// One TCP stream from host 1 into host 2's flannel0 address while host 2 floods <paramref name="flood"/> (none
    /// when null), with host 2's reply counters read before the flood starts and after it ends.
    /// </summary>
    private static Phase StreamDuringFlood(OverlayLab lab, string secondTun, IPEndPoint? flood)
    {
        using IperfServer server = IperfServer.Start(lab.Host(1), secondTun);
        (long sentBefore, long suppressedBefore) = Replies(lab);
        long[] lossesBefore = Losses(lab);
        var window = Stopwatch.StartNew();
        UdpFlood? sender = flood is null
            ? null
            : UdpFlood.Start(lab.Host(1).Name, flood, FloodPerSecond, TimeSpan.FromSeconds(StreamSeconds + 2.5));
        Thread.Sleep(500);
        ToolResult client = lab.Host(0).TryExec(TimeSpan.FromSeconds(30), "iperf3", "-c", secondTun, "-t",
            StreamSeconds.ToString(CultureInfo.InvariantCulture), "-J");
        (long floodSent, TimeSpan floodTime) = sender?.Wait() ?? (0, TimeSpan.Zero);
        (long sentAfter, long suppressedAfter) = Replies(lab);
        window.Stop();
        long[] lossesAfter = Losses(lab);
        long[] losses = [.. lossesAfter.Select((after, i) => after - lossesBefore[i])];
        Assert.True(client.ExitCode == 0, $"iperf3 failed ({client.ExitCode}): {client.StandardOutput}{client.StandardError}");

        using JsonDocument json = JsonDocument.Parse(client.StandardOutput);
        JsonElement end = json.RootElement.GetProperty("end");
        return new Phase(
            end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble() / 1e9,
            end.GetProperty("sum_sent").GetProperty("retransmits").GetInt64(),
            floodTime.TotalSeconds > 0 ? floodSent / floodTime.TotalSeconds : 0,
            sentAfter - sentBefore,
            suppressedAfter - suppressedBefore,
            window.Elapsed,
            losses);
    }

    /// <summary>Host 2's ICMP replies sent and suppressed so far, from its /metrics.</summary>
    private static (long Sent, long Suppressed) Replies(OverlayLab lab)
    {
        string metrics = lab.Host(1).Exec("bash", "-c",
            "exec 3<>/dev/tcp/127.0.0.1/8471; printf 'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3; timeout 5 cat <&3");
        return (Counter(metrics, SentSeries()), Counter(metrics, SuppressedSeries()));
    }

    private static long Counter(string metrics, Regex series)
    {
        Match line = series.Match(metrics);
        Assert.True(line.Success, $"no series {series} in:\n{metrics}");
        return (long)double.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Where a stream's packets can be lost in the lab, per host: packets the kernel dropped on their way into
    /// flannel0 for overlayd to read (its queue was full), and datagrams dropped at the UDP sockets for a full buffer.
    /// </summary>
    private static long[] Losses(OverlayLab lab) =>
    [
        long.Parse(lab.Host(0).Exec("cat", "/sys/class/net/flannel0/statistics/tx_dropped").Trim(), CultureInfo.InvariantCulture),
        long.Parse(lab.Host(1).Exec("cat", "/sys/class/net/flannel0/statistics/tx_dropped").Trim(), CultureInfo.InvariantCulture),
        lab.Snmp(0, "Udp", "RcvbufErrors"),
        lab.Snmp(1, "Udp", "RcvbufErrors"),
    ];

    /// <summary>An address in the overlay network whose /24 is neither host's lease (the lab holds only those two).</summary>
    private static string UnleasedAddress(string firstTun, string secondTun)
    {
        for (int third = 200; ; third++)
        {
            string subnet = $"10.244.{third}.";
            if (!firstTun.StartsWith(subnet, StringComparison.Ordinal) && !secondTun.StartsWith(subnet, StringComparison.Ordinal))
            {
                return subnet + "9";
            }
        }
    }

    [GeneratedRegex(@"^overlay_icmp_replies(?!_suppressed)\S* (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SentSeries();

    [GeneratedRegex(@"^overlay_icmp_replies_suppressed\S* (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex SuppressedSeries();

    private sealed record Phase(
        double GbitsPerSecond, long Retransmits, double FloodPerSecond, long RepliesSent, long RepliesSuppressed, TimeSpan Window,
        long[] Losses)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{GbitsPerSecond:0.00} Gbit/s, {Retransmits} retransmits; flood {FloodPerSecond:0} datagrams/s; " +
            $"replies sent {RepliesSent}, suppressed {RepliesSuppressed} in {Window.TotalSeconds:0.0} s; " +
            $"flannel0 queue drops h1 {Losses[0]}, h2 {Losses[1]}; UDP buffer drops h1 {Losses[2]}, h2 {Losses[3]}");
    }
}
