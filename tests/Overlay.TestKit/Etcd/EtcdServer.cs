using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Overlay.TestKit.Etcd;

/// <summary>
/// A real etcd server (Debian's etcd-server, v3 API) for one test class: its own name, ports and temporary data
/// directory, stopped by its own PID and deleted on dispose. <see cref="Stop"/> and <see cref="Start"/> simulate an
/// outage on the same ports and data. Use as an xunit class fixture and give every test its own key prefix
/// (<see cref="NewPrefix"/>).
/// </summary>
public sealed class EtcdServer : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(20);
    private static int s_prefixCounter;

    private readonly string _name;
    private readonly string _dataDir;
    private readonly string _listenAddress;
    private readonly int _peerPort;
    private readonly string? _netns;
    private readonly EtcdTlsFiles? _tls;
    private readonly bool _requireClientCertificates;
    private readonly Lock _outputLock = new();
    private readonly Queue<string> _recentOutput = new();
    private Process? _process;

    /// <summary>Starts etcd on free loopback ports in this network namespace.</summary>
    public EtcdServer()
        : this(null, "127.0.0.1", FreeTcpPort(), FreeTcpPort(), null)
    {
    }

    private EtcdServer(string? netns, string listenAddress, int clientPort, int peerPort, EtcdTlsFiles? tls, bool requireClientCertificates = true)
    {
        _netns = netns;
        _tls = tls;
        _requireClientCertificates = requireClientCertificates;
        _listenAddress = listenAddress;
        ClientPort = clientPort;
        _peerPort = peerPort;
        _name = $"ovt-etcd-{Environment.ProcessId % 100000}-{Random.Shared.Next(100000):D5}";
        _dataDir = Path.Combine(Path.GetTempPath(), _name);
        Start();
    }

    /// <summary>
    /// Starts etcd inside network namespace <paramref name="netns"/>, listening on <paramref name="address"/>
    /// (which must already be configured there), for daemon tests. Needs root.
    /// </summary>
    public static EtcdServer StartInNamespace(string netns, string address, int clientPort = 2379, int peerPort = 2380)
    {
        ArgumentException.ThrowIfNullOrEmpty(netns);
        return new EtcdServer(netns, address, clientPort, peerPort, null);
    }

    /// <summary>
    /// Starts etcd on loopback serving TLS only, with <paramref name="tls"/>'s server certificate; by default it
    /// requires client certificates signed by <paramref name="tls"/>'s CA (--client-cert-auth), otherwise any client
    /// may connect (one-way TLS). The caller keeps and disposes <paramref name="tls"/>.
    /// </summary>
    public static EtcdServer StartWithTls(EtcdTlsFiles tls, bool requireClientCertificates = true)
    {
        ArgumentNullException.ThrowIfNull(tls);
        return new EtcdServer(null, "127.0.0.1", FreeTcpPort(), FreeTcpPort(), tls, requireClientCertificates);
    }

    public int ClientPort { get; }

    /// <summary>The client URL, e.g. http://127.0.0.1:43219.</summary>
    public string Endpoint => $"{(_tls is null ? "http" : "https")}://{_listenAddress}:{ClientPort.ToString(CultureInfo.InvariantCulture)}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>A key prefix no other test uses, shaped like flannel's ("/ovt-7-12345/network").</summary>
    public static string NewPrefix() =>
        $"/ovt-{Interlocked.Increment(ref s_prefixCounter)}-{Random.Shared.Next(100000):D5}/network";

    /// <summary>Starts (or restarts) the server on the same ports and data directory and waits until it is healthy.</summary>
    public void Start()
    {
        if (IsRunning)
        {
            return;
        }
        string etcd = Tools.Find("etcd") ?? throw new InvalidOperationException(
            "the etcd binary was not found: install Debian's etcd-server package (apt-get install etcd-server etcd-client)");
        string peerUrl = $"http://{_listenAddress}:{_peerPort.ToString(CultureInfo.InvariantCulture)}";
        string[] etcdArgs =
        [
            "--name", _name,
            "--data-dir", _dataDir,
            "--listen-client-urls", Endpoint,
            "--advertise-client-urls", Endpoint,
            "--listen-peer-urls", peerUrl,
            "--initial-advertise-peer-urls", peerUrl,
            "--initial-cluster", $"{_name}={peerUrl}",
            "--initial-cluster-state", "new",
            "--initial-cluster-token", _name,
            .. _tls is null ? [] : new[] { "--cert-file", _tls.ServerCertFile, "--key-file", _tls.ServerKeyFile },
            .. _tls is null || !_requireClientCertificates ? [] : new[] { "--trusted-ca-file", _tls.CaFile, "--client-cert-auth" },
        ];
        var info = _netns is null
            ? new ProcessStartInfo(etcd)
            : new ProcessStartInfo(Tools.Find("ip") ?? "ip") { ArgumentList = { "netns", "exec", _netns, etcd } };
        foreach (string arg in etcdArgs)
        {
            info.ArgumentList.Add(arg);
        }
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        // `ip netns exec` execs etcd in place, so this PID is etcd's own.
        Process process = Process.Start(info) ?? throw new InvalidOperationException("could not start etcd");
        process.OutputDataReceived += (_, e) => Remember(e.Data);
        process.ErrorDataReceived += (_, e) => Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        WaitUntilHealthy();
    }

    /// <summary>Kills the server (an abrupt outage). The data directory stays for <see cref="Start"/>.</summary>
    public void Stop()
    {
        Process? process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }
        try
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(10_000);
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Runs etcdctl (v3 API) against this server and returns its stdout; throws when it fails.</summary>
    public string Etcdctl(params string[] args)
    {
        ToolResult result = TryEtcdctl(args);
        return result.ExitCode == 0
            ? result.StandardOutput
            : throw new InvalidOperationException($"etcdctl {string.Join(' ', args)} exited {result.ExitCode}: {result.StandardError.Trim()}");
    }

    public ToolResult TryEtcdctl(params string[] args)
    {
        string etcdctl = Tools.Find("etcdctl") ?? throw new InvalidOperationException(
            "the etcdctl binary was not found: install Debian's etcd-client package (apt-get install etcd-client)");
        string[] tls = _tls is null ? [] : ["--cacert", _tls.CaFile, "--cert", _tls.ClientCertFile, "--key", _tls.ClientKeyFile];
        string[] command = ["env", "ETCDCTL_API=3", etcdctl, "--endpoints", Endpoint, "--command-timeout=5s", .. tls, .. args];
        return _netns is null
            ? Tools.TryRun(TimeSpan.FromSeconds(15), command[0], command[1..])
            : Tools.TryRun(TimeSpan.FromSeconds(15), "ip", ["netns", "exec", _netns, .. command]);
    }

    /// <summary>The current store revision.</summary>
    public long Revision()
    {
        using JsonDocument status = JsonDocument.Parse(Etcdctl("get", "/", "--prefix", "--keys-only", "--limit=1", "-w", "json"));
        return status.RootElement.GetProperty("header").GetProperty("revision").GetInt64();
    }

    /// <summary>Compacts history up to the current revision and returns that revision.</summary>
    public long Compact()
    {
        long revision = Revision();
        Etcdctl("compact", revision.ToString(CultureInfo.InvariantCulture));
        return revision;
    }

    /// <summary>Grants an etcd lease and returns its ID in the hex form etcdctl prints and accepts.</summary>
    public string GrantLease(int ttlSeconds)
    {
        // "lease 694d7c0d2cc1a20f granted with TTL(60s)"
        string output = Etcdctl("lease", "grant", ttlSeconds.ToString(CultureInfo.InvariantCulture));
        return output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
    }

    /// <summary>The last lines etcd printed, for failure messages.</summary>
    public string RecentOutput()
    {
        lock (_outputLock)
        {
            return string.Join(Environment.NewLine, _recentOutput);
        }
    }

    public void Dispose()
    {
        Stop();
        try
        {
            if (Directory.Exists(_dataDir))
            {
                Directory.Delete(_dataDir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    private void WaitUntilHealthy()
    {
        var clock = Stopwatch.StartNew();
        string lastError = "";
        for (int attempt = 0; attempt < 200 && clock.Elapsed < s_startTimeout; attempt++)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"etcd exited during startup: {RecentOutput()}");
            }
            // Servers with a deliberately bad certificate (expired, wrong name) are healthy all the same.
            ToolResult health = _tls is null
                ? TryEtcdctl("endpoint", "health", "--command-timeout=1s")
                : TryEtcdctl("endpoint", "health", "--command-timeout=1s", "--insecure-skip-tls-verify");
            if (health.ExitCode == 0)
            {
                return;
            }
            lastError = health.StandardError.Trim();
            Thread.Sleep(100);
        }
        Stop();
        throw new TimeoutException($"etcd at {Endpoint} not healthy after {s_startTimeout.TotalSeconds:0} s: {lastError}{Environment.NewLine}{RecentOutput()}");
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_outputLock)
        {
            _recentOutput.Enqueue(line);
            while (_recentOutput.Count > 40)
            {
                _recentOutput.Dequeue();
            }
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
