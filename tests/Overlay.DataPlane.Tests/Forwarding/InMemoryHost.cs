using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;

namespace Overlay.DataPlane.Tests.Forwarding;

/// <summary>
/// One overlay host in memory: a TUN queue, a UDP socket on the shared fabric, a route table, and both forwarding
/// loops, wired the way the daemon wires them. Its TUN address is its lease's network address, as flannel's is.
/// </summary>
internal sealed class InMemoryHost : IDisposable
{
    public const ushort Port = 8285;

    public InMemoryHost(
        InMemoryUdpFabric fabric,
        string underlayAddress,
        string lease,
        int batchCapacity = 64,
        int slotSize = 1500,
        int tunQueueCapacity = 1024,
        int? tunWriteCapacity = null,
        IcmpReplyLimiter? replyLimiter = null)
    {
        Underlay = new PeerEndpoint(Ipv4.Parse(underlayAddress), Port);
        Lease = Ipv4Subnet.Parse(lease);
        Tun = new InMemoryTun(tunQueueCapacity, slotSize, tunWriteCapacity) { ReadWait = TimeSpan.FromMilliseconds(200) };
        Socket = fabric.Bind(Underlay);
        Processor = new OutboundProcessor(Routes, Lease.Network, replyLimiter);
        InboundProcessor = new InboundProcessor(Routes);
        Outbound = new OutboundLoop(Tun, Socket, Processor, Counters, batchCapacity, slotSize, $"tun-to-udp-{underlayAddress}");
        Inbound = new InboundLoop(Socket, Tun, InboundProcessor, Counters, batchCapacity, slotSize, $"udp-to-tun-{underlayAddress}");
    }

    public PeerEndpoint Underlay { get; }

    public Ipv4Subnet Lease { get; }

    public InMemoryTun Tun { get; }

    public InMemoryUdpSocket Socket { get; }

    public RouteTableHolder Routes { get; } = new();

    public OutboundProcessor Processor { get; }

    /// <summary>The inbound side's processor, with the source check on: only hosts in <see cref="Routes"/> get through.</summary>
    public InboundProcessor InboundProcessor { get; }

    public ForwardingCounters Counters { get; } = new();

    public OutboundLoop Outbound { get; }

    public InboundLoop Inbound { get; }

    /// <summary>Publishes a table with one route per peer: its lease via its underlay endpoint.</summary>
    public void RouteTo(params InMemoryHost[] peers) =>
        Routes.Publish(RouteTable.Create(peers.Select(peer => new Route(peer.Lease, peer.Underlay))));

    /// <summary>An address inside this host's lease (its pods live there).</summary>
    public uint Pod(uint host) => Lease.Network + host;

    public void Dispose()
    {
        Tun.Dispose();
        Socket.Dispose();
    }
}
