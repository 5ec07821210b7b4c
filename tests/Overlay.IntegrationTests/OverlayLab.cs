using System.Globalization;
using Overlay.TestKit;
using Overlay.TestKit.Etcd;
using Overlay.TestKit.Namespaces;

namespace Overlay.IntegrationTests;

/// <summary>
/// Host namespaces on one bridge, a real etcd in host 1 on its underlay address (namespaces cannot reach the root
/// namespace's loopback), flannel's network config written with etcdctl, and helpers to start overlayd per host.
/// </summary>
internal sealed class OverlayLab : IDisposable
{
    public const string Prefix = "/coreos.com/network";
    public const string Network = "10.244.0.0/16";

    private readonly string _workDir;
    private readonly List<(int Host, DaemonProcess Daemon)> _daemons = [];

    private OverlayLab(Underlay underlay, EtcdServer etcd, string workDir)
    {
        Underlay = underlay;
        Etcd = etcd;
        _workDir = workDir;
    }

    public Underlay Underlay { get; }

    public EtcdServer Etcd { get; }

    public TestNamespace Host(int index) => Underlay.Hosts[index];

    public static OverlayLab Create(int hosts)
    {
        Underlay underlay = Underlay.Create(hosts);
        EtcdServer? etcd = null;
        try
        {
            etcd = EtcdServer.StartInNamespace(underlay.Hosts[0].Name, Underlay.HostAddress(0));
            etcd.Etcdctl("put", Prefix + "/config", "{\"Network\":\"" + Network + "\",\"Backend\":{\"Type\":\"udp\"}}");
            string workDir = Directory.CreateTempSubdirectory("overlay-it-").FullName;
            return new OverlayLab(underlay, etcd, workDir);
        }
        catch
        {
            etcd?.Dispose();
            underlay.Dispose();
            throw;
        }
    }

    public string SubnetFileFor(int host) => Path.Combine(_workDir, $"h{host + 1}.env");

    /// <summary>
    /// The admin socket of the first daemon started in a host: the hosts share one file system, so the default path
    /// would collide. Later daemons in the same host get paths of their own (the admin socket is bound before the
    /// config is read, so two waiting daemons would otherwise refuse each other).
    /// </summary>
    public string AdminSocketFor(int host) => AdminSocketFor(host, 0);

    /// <summary>Starts overlayd in host <paramref name="host"/> with flanneld's flags, pointed at the lab's etcd.</summary>
    public DaemonProcess StartDaemon(int host, params string[] extraFlags) => StartDaemon(OverlayBinaries.Daemon, host, extraFlags);

    /// <summary>Starts <paramref name="binary"/> as host <paramref name="host"/>'s overlayd, as <see cref="StartDaemon(int, string[])"/> does.</summary>
    public DaemonProcess StartDaemon(OverlayBinaries binary, int host, params string[] extraFlags)
    {
        int earlier = _daemons.Count(d => d.Host == host);
        DaemonProcess daemon = DaemonProcess.Start(binary, Host(host), SubnetFileFor(host),
            ["-etcd-endpoints=" + Etcd.Endpoint, "-iface=" + Underlay.InterfaceName, "-admin-socket=" + AdminSocketFor(host, earlier), .. extraFlags]);
        _daemons.Add((host, daemon));
        return daemon;
    }

    private string AdminSocketFor(int host, int earlierDaemons) =>
        Path.Combine(_workDir, earlierDaemons == 0 ? $"h{host + 1}.sock" : $"h{host + 1}-{earlierDaemons + 1}.sock");

    /// <summary>The flannel0 address of a host whose FLANNEL_SUBNET is e.g. 10.244.7.1/24: 10.244.7.0.</summary>
    public static string TunAddress(string flannelSubnet)
    {
        string first = flannelSubnet.Split('/')[0];
        return first[..first.LastIndexOf('.')] + ".0";
    }

    public ToolResult Ping(int fromHost, string address, int count = 3, double interval = 0.2) =>
        Host(fromHost).TryExec(TimeSpan.FromSeconds(10 + (count * interval)), "ping", "-c", $"{count}",
            "-i", interval.ToString(CultureInfo.InvariantCulture), "-W", "1", address);

    /// <summary>Pings until a reply arrives (routes come through the etcd watch) or the timeout passes.</summary>
    public ToolResult PingUntilReply(int fromHost, string address, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        ToolResult result;
        do
        {
            result = Ping(fromHost, address, count: 1);
            if (result.ExitCode == 0)
            {
                return result;
            }
            Thread.Sleep(100);
        }
        while (DateTime.UtcNow < deadline);
        return result;
    }

    /// <summary>An HTTP GET to a daemon's health port inside the host's namespace, with bash's /dev/tcp (no extra tools).</summary>
    public string HttpGet(int host, int port, string path) =>
        Host(host).Exec("bash", "-c",
            $"exec 3<>/dev/tcp/127.0.0.1/{port}; printf 'GET {path} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' >&3; timeout 5 cat <&3");

    /// <summary>The host kernel's count of UDP datagrams that arrived for a port nobody listens on.</summary>
    public long UdpNoPorts(int host) => SnmpCounter(host, "Udp", "NoPorts");

    /// <summary>The host kernel's count of ICMP destination-unreachable messages it received.</summary>
    public long IcmpDestinationUnreachables(int host) => SnmpCounter(host, "Icmp", "InDestUnreachs");

    /// <summary>
    /// Sends one small UDP datagram from a host with bash's /dev/udp (no extra tools). flannel answers a packet
    /// without a route with ICMP net-unreachable, but never for ICMP itself, so ping cannot show it.
    /// </summary>
    public void SendUdp(int fromHost, string address, int count = 1)
    {
        for (int i = 0; i < count; i++)
        {
            Host(fromHost).TryExec(TimeSpan.FromSeconds(5), "bash", "-c", $"echo probe > /dev/udp/{address}/9");
        }
    }

    /// <summary>Any counter of the host kernel's /proc/net/snmp, e.g. ("Udp", "InErrors").</summary>
    public long Snmp(int host, string protocol, string counter) => SnmpCounter(host, protocol, counter);

    /// <summary>One value from /proc/net/snmp of the host's namespace, e.g. ("Udp", "NoPorts").</summary>
    private long SnmpCounter(int host, string protocol, string counter)
    {
        string[] lines = [.. Host(host).Exec("cat", "/proc/net/snmp").Split('\n').Where(l => l.StartsWith(protocol + ":", StringComparison.Ordinal))];
        string[] header = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string[] values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(values[Array.IndexOf(header, counter)], CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        foreach ((_, DaemonProcess daemon) in _daemons)
        {
            daemon.Dispose();
        }
        Etcd.Dispose();
        Underlay.Dispose();
        try
        {
            Directory.Delete(_workDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
