using System.Net;
using System.Net.Sockets;
using Overlay.Linux.Tests.Support;
using Overlay.TestKit.Namespaces;

namespace Overlay.Linux.Tests.Masquerade;

/// <summary>
/// Four namespaces around one "node": a pod at 10.244.5.2 behind the node's gateway 10.244.5.1 (subnet P), a remote
/// pod at 10.244.7.2 elsewhere in the cluster network C, and an outside host at 198.18.1.2 on the node's uplink
/// 198.18.1.1. Every veth pair is created inside the node namespace and one end moved out; nothing touches the root
/// namespace.
/// </summary>
internal sealed class MasqueradeTopology : IDisposable
{
    public const string OutsideAddress = "198.18.1.2";
    public const string NodeUplinkAddress = "198.18.1.1";
    public const string PodAddress = "10.244.5.2";
    public const string RemotePodAddress = "10.244.7.2";

    private static readonly TimeSpan s_receiveTimeout = TimeSpan.FromSeconds(5);

    private readonly List<TestNamespace> _all = [];
    private int _nextPort = 40000;

    private MasqueradeTopology()
    {
    }

    public TestNamespace Node { get; private set; } = null!;
    public TestNamespace Pod { get; private set; } = null!;
    public TestNamespace RemotePod { get; private set; } = null!;
    public TestNamespace Outside { get; private set; } = null!;

    public static MasqueradeTopology Create()
    {
        var topology = new MasqueradeTopology();
        try
        {
            topology.Build();
            return topology;
        }
        catch
        {
            topology.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends a few UDP datagrams from <paramref name="sender"/> to <paramref name="destination"/> (a fresh port each
    /// call, so conntrack sees a new flow) and returns the source address the receiver saw.
    /// </summary>
    public IPAddress SourceSeenBy(TestNamespace receiver, TestNamespace sender, string destination)
    {
        int port = Interlocked.Increment(ref _nextPort);
        using var listening = new ManualResetEventSlim();
        IPAddress? seen = null;
        NamespaceThread receive = NamespaceThread.Start(receiver.Name, () =>
        {
            using var client = new UdpClient(new IPEndPoint(IPAddress.Any, port));
            client.Client.ReceiveTimeout = (int)s_receiveTimeout.TotalMilliseconds;
            listening.Set();
            var remote = new IPEndPoint(IPAddress.Any, 0);
            client.Receive(ref remote);
            seen = remote.Address;
        });
        Assert.True(listening.Wait(TimeSpan.FromSeconds(10)), "receiver did not start listening");
        NamespaceThread.Run(sender.Name, () =>
        {
            using var client = new UdpClient(AddressFamily.InterNetwork);
            var target = new IPEndPoint(IPAddress.Parse(destination), port);
            byte[] payload = "masquerade probe"u8.ToArray();
            // A few copies: the first may wait on ARP resolution; the receiver keeps the first that arrives.
            for (int attempt = 0; attempt < 3; attempt++)
            {
                client.Send(payload, payload.Length, target);
                Thread.Sleep(50);
            }
        });
        receive.Join(TimeSpan.FromSeconds(15));
        return seen ?? throw new InvalidOperationException("receiver finished without recording a source");
    }

    private void Build()
    {
        Node = Add("node");
        Pod = Add("pod");
        RemotePod = Add("rpod");
        Outside = Add("out");
        Node.Exec("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
        Link(Node, "gw0", "10.244.5.1/24", Pod, "eth0", PodAddress + "/24");
        Link(Node, "gw1", "10.244.7.1/24", RemotePod, "eth0", RemotePodAddress + "/24");
        Link(Node, "up0", NodeUplinkAddress + "/24", Outside, "eth0", OutsideAddress + "/24");
        Pod.Exec("ip", "route", "add", "default", "via", "10.244.5.1");
        RemotePod.Exec("ip", "route", "add", "default", "via", "10.244.7.1");
    }

    private TestNamespace Add(string role)
    {
        TestNamespace ns = TestNamespace.Create(role);
        _all.Add(ns);
        return ns;
    }

    private static void Link(TestNamespace near, string nearName, string nearAddress, TestNamespace far, string farName, string farAddress)
    {
        near.Exec("ip", "link", "add", nearName, "type", "veth", "peer", "name", farName, "netns", far.Name);
        near.Exec("ip", "addr", "add", nearAddress, "dev", nearName);
        near.Exec("ip", "link", "set", nearName, "up");
        far.Exec("ip", "addr", "add", farAddress, "dev", farName);
        far.Exec("ip", "link", "set", farName, "up");
    }

    public void Dispose()
    {
        foreach (TestNamespace ns in _all)
        {
            ns.Dispose();
        }
    }
}
