using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;
using Overlay.DataPlane.Routing;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.DataPlane.Tests.Offload.Fakes;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>
/// One overlay host in memory whose TUN queue runs with offloads: superpackets in, superpackets out, wired the way the
/// daemon wires the segmenting and coalescing loops.
/// </summary>
internal sealed class OffloadHost : IDisposable
{
    public const ushort Port = 8285;

    public OffloadHost(
        InMemoryUdpFabric fabric,
        string underlayAddress,
        string lease,
        int superpacketCapacity = 4,
        int segmentCapacity = 128,
        int inboundCapacity = 128,
        int socketQueueCapacity = 1024,
        int tunWriteCapacity = 64,
        IcmpReplyLimiter? replyLimiter = null)
    {
        Underlay = new PeerEndpoint(Ipv4.Parse(underlayAddress), Port);
        Lease = Ipv4Subnet.Parse(lease);
        Tun = new OffloadTun(readCapacity: 16, writeCapacity: tunWriteCapacity) { ReadWait = TimeSpan.FromMilliseconds(200) };
        Socket = fabric.Bind(Underlay, socketQueueCapacity, Batches.Mtu);
        Processor = new OutboundProcessor(Routes, Lease.Network, replyLimiter);
        InboundProcessor = new InboundProcessor(Routes);
        Outbound = new SegmentingOutboundLoop(
            Tun, Socket, Processor, Counters, superpacketCapacity, segmentCapacity, Batches.Mtu, $"tun-to-udp-{underlayAddress}");
        Inbound = new CoalescingInboundLoop(
            Socket, Tun, InboundProcessor, Counters, inboundCapacity, Batches.Mtu, $"udp-to-tun-{underlayAddress}", mergeUdp: true);
    }

    public PeerEndpoint Underlay { get; }

    public Ipv4Subnet Lease { get; }

    public OffloadTun Tun { get; }

    public InMemoryUdpSocket Socket { get; }

    public RouteTableHolder Routes { get; } = new();

    public OutboundProcessor Processor { get; }

    /// <summary>The inbound side's processor, with the source check on: only hosts in <see cref="Routes"/> get through.</summary>
    public InboundProcessor InboundProcessor { get; }

    public ForwardingCounters Counters { get; } = new();

    public SegmentingOutboundLoop Outbound { get; }

    public CoalescingInboundLoop Inbound { get; }

    public void RouteTo(params OffloadHost[] peers) =>
        Routes.Publish(RouteTable.Create(peers.Select(peer => new Route(peer.Lease, peer.Underlay))));

    public uint Pod(uint host) => Lease.Network + host;

    public void Dispose()
    {
        Tun.Dispose();
        Socket.Dispose();
    }
}
