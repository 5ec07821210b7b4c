using System.Globalization;
using System.Text.RegularExpressions;
using Overlay.TestKit;
using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests;

/// <summary>
/// An offloading host (TSO/GRO on the TUN, GSO/GRO on UDP, two queues) against a host forwarding one packet per
/// datagram per syscall, the shape of flannel's own C forwarder: the wire format must not tell them apart.
/// </summary>
public sealed class InteropTests
{
    [PrivilegedFact]
    public void Offloading_and_plain_hosts_exchange_tcp_and_udp_both_ways()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        DaemonProcess fast = lab.StartDaemon(0, "-offload=true", "-queues=2");
        DaemonProcess plain = lab.StartDaemon(1, "-offload=false", "-queues=1");
        string fastTun = OverlayLab.TunAddress(fast.WaitForSubnet(TimeSpan.FromSeconds(30)));
        string plainTun = OverlayLab.TunAddress(plain.WaitForSubnet(TimeSpan.FromSeconds(30)));
        // The console logger writes on its own thread: wait for the line rather than read the output once.
        Assert.True(fast.WaitForOutput("offload TUN", TimeSpan.FromSeconds(10)), fast.Output);
        Assert.True(plain.WaitForOutput("offload off", TimeSpan.FromSeconds(10)), plain.Output);
        Assert.Equal(0, lab.PingUntilReply(0, plainTun, TimeSpan.FromSeconds(10)).ExitCode);
        Assert.Equal(0, lab.PingUntilReply(1, fastTun, TimeSpan.FromSeconds(10)).ExitCode);

        // TCP: fast -> plain, then plain -> fast (iperf3 -R reverses the direction on the same connection setup).
        Assert.Contains("receiver", Iperf(lab, client: 0, server: 1, plainTun, "-t", "2"));
        Assert.Contains("receiver", Iperf(lab, client: 0, server: 1, plainTun, "-t", "2", "-R"));

        // UDP at a rate both paths sustain on a loaded 2-core machine; every datagram is one packet either way.
        string udp = Iperf(lab, client: 1, server: 0, fastTun, "-u", "-b", "20M", "-l", "1200", "-t", "2");
        Assert.Matches(@"\(0(\.\d+)?%\)|\(\d(\.\d+)?%\)", udp);
        string udpBack = Iperf(lab, client: 1, server: 0, fastTun, "-u", "-b", "20M", "-l", "1200", "-t", "2", "-R");
        Assert.Matches(@"\(0(\.\d+)?%\)|\(\d(\.\d+)?%\)", udpBack);

        // A burst of small datagrams into the offloading host leaves its forwarder as USO superpackets (one TUN write
        // for a run of datagrams of one flow), which the kernel cuts back into datagrams with valid checksums.
        long tunWritesBefore = TunReceivedPackets(lab, 0);
        long checksumErrorsBefore = UdpInChecksumErrors(lab, 0);
        string burst = Iperf(lab, client: 0, server: 1, plainTun, "-u", "-b", "80M", "-l", "200", "-t", "2", "-R");
        // The receiver's summary line: "lost/total (x%)  receiver" for the whole run.
        long datagrams = long.Parse(Regex.Match(burst, @"\d+/(\d+) \([\d.e+-]+%\)\s+receiver").Groups[1].Value, CultureInfo.InvariantCulture);
        long tunWrites = TunReceivedPackets(lab, 0) - tunWritesBefore;
        Console.WriteLine($"udp burst: {datagrams} datagrams, {tunWrites} TUN writes; {burst}");
        Assert.True(tunWrites < datagrams, $"{datagrams} datagrams took {tunWrites} TUN writes: nothing was merged\n{burst}");
        Assert.Equal(checksumErrorsBefore, UdpInChecksumErrors(lab, 0));

        Assert.False(fast.HasExited, fast.Output);
        Assert.False(plain.HasExited, plain.Output);
        Assert.Equal(0, plain.Stop(TimeSpan.FromSeconds(15)));
        Assert.Equal(0, fast.Stop(TimeSpan.FromSeconds(15)));
        // Nothing the other side sent may have looked malformed.
        Assert.Matches(@"DroppedBadHeaderLength = 0, DroppedTruncated = 0", fast.Output);
        Assert.Matches(@"DroppedBadHeaderLength = 0, DroppedTruncated = 0", plain.Output);
    }

    /// <summary>Packets the kernel took from the forwarder through flannel0 (a superpacket counts once).</summary>
    private static long TunReceivedPackets(OverlayLab lab, int host) =>
        long.Parse(lab.Host(host).Exec("cat", "/sys/class/net/flannel0/statistics/rx_packets").Trim(), CultureInfo.InvariantCulture);

    /// <summary>The host's UDP InCsumErrors: datagrams the kernel dropped for a bad checksum.</summary>
    private static long UdpInChecksumErrors(OverlayLab lab, int host)
    {
        string[] lines = [.. lab.Host(host).Exec("cat", "/proc/net/snmp").Split('\n').Where(l => l.StartsWith("Udp:", StringComparison.Ordinal))];
        string[] names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(names, "InCsumErrors")], CultureInfo.InvariantCulture);
    }

    /// <summary>Runs one bounded iperf3 test between two hosts and returns the client's report.</summary>
    private static string Iperf(OverlayLab lab, int client, int server, string serverAddress, params string[] args)
    {
        using IperfServer listener = IperfServer.Start(lab.Host(server), serverAddress);
        ToolResult result = lab.Host(client).TryExec(TimeSpan.FromSeconds(20), "iperf3", ["-c", serverAddress, "-f", "m", .. args]);
        Assert.True(result.ExitCode == 0, result.StandardOutput + result.StandardError);
        return result.StandardOutput;
    }
}
