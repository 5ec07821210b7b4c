namespace Overlay.TestKit.Namespaces;

/// <summary>
/// Host namespaces joined on one underlay link (198.18.0.0/24, the benchmarking range): each host's veth is a port
/// of a bridge that lives in its own namespace. Every host knows the others' link-layer addresses from the start
/// (permanent neighbour entries), so no test sees address resolution. Nothing is created in the root namespace.
/// </summary>
public sealed class Underlay : IDisposable
{
    private readonly List<TestNamespace> _all = [];

    private Underlay()
    {
    }

    public IReadOnlyList<TestNamespace> Hosts { get; private set; } = [];

    /// <summary>The underlay address of host i (0-based): 198.18.0.(i+1).</summary>
    public static string HostAddress(int index) => $"198.18.0.{index + 1}";

    /// <summary>The link-layer address of host i's underlay interface: locally administered, fixed per index.</summary>
    public static string HostMac(int index) => $"02:00:c6:12:00:{index + 1:x2}";

    public const string InterfaceName = "ul0";

    public static Underlay Create(int hosts, int mtu = 1500)
    {
        var underlay = new Underlay();
        try
        {
            TestNamespace bridge = TestNamespace.Create("br");
            underlay._all.Add(bridge);
            bridge.Exec("ip", "link", "add", "br0", "type", "bridge");
            bridge.Exec("ip", "link", "set", "br0", "up");
            var hostList = new List<TestNamespace>();
            for (int i = 0; i < hosts; i++)
            {
                TestNamespace host = TestNamespace.Create($"h{i + 1}");
                underlay._all.Add(host);
                hostList.Add(host);
                string port = $"p{i + 1}";
                // Create the pair inside the bridge namespace, then move one end into the host: nothing touches the root namespace.
                bridge.Exec("ip", "link", "add", port, "mtu", $"{mtu}", "type", "veth", "peer", "name", InterfaceName, "mtu", $"{mtu}",
                    "address", HostMac(i));
                bridge.Exec("ip", "link", "set", InterfaceName, "netns", host.Name);
                bridge.Exec("ip", "link", "set", port, "master", "br0", "up");
                host.Exec("ip", "addr", "add", HostAddress(i) + "/24", "dev", InterfaceName);
                host.Exec("ip", "link", "set", InterfaceName, "up");
            }
            // Static neighbours: the kernel can reorder the first datagrams to a neighbour it is still resolving (the
            // ARP queue is flushed from the softirq that learns the address while later sends go straight out), and
            // tests that check order must see Overlay's ordering, not that.
            for (int i = 0; i < hosts; i++)
            {
                for (int j = 0; j < hosts; j++)
                {
                    if (j != i)
                    {
                        hostList[i].Exec("ip", "neigh", "replace", HostAddress(j), "lladdr", HostMac(j), "dev", InterfaceName, "nud", "permanent");
                    }
                }
            }
            underlay.Hosts = hostList;
            return underlay;
        }
        catch
        {
            underlay.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (TestNamespace ns in _all)
        {
            ns.Dispose();
        }
    }
}
