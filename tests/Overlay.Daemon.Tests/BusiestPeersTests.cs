using Overlay.Daemon.Metrics;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Tests;

public class BusiestPeersTests
{
    private static PeerTraffic Peer(string address, long sentBytes, long receivedBytes) =>
        new(Ipv4.Parse(address), sentBytes / 100, sentBytes, receivedBytes / 100, receivedBytes);

    [Fact]
    public void Keeps_the_busiest_by_bytes_both_ways_then_by_address()
    {
        PeerTraffic[] all =
        [
            Peer("198.18.0.5", 100, 0),
            Peer("198.18.0.2", 0, 5000),
            Peer("198.18.0.9", 3000, 3000),
            Peer("198.18.0.4", 100, 0),
            Peer("198.18.0.3", 0, 0),
        ];

        LabelledPeer[] top = BusiestPeers.Select(all, 3);

        Assert.Equal(["198.18.0.9", "198.18.0.2", "198.18.0.4"], top.Select(p => Ipv4.Format(p.Traffic.Address)));
        Assert.Equal(new KeyValuePair<string, object?>("peer", "198.18.0.9"), top[0].Label);
    }

    [Fact]
    public void A_limit_above_the_peer_count_keeps_every_peer_and_zero_keeps_none()
    {
        PeerTraffic[] all = [Peer("198.18.0.1", 1, 1), Peer("198.18.0.2", 0, 0)];

        Assert.Equal(2, BusiestPeers.Select(all, 100).Length);
        Assert.Empty(BusiestPeers.Select(all, 0));
        Assert.Empty(new BusiestPeers(new PeerCounters(), new RouteTableHolder(), 0, TimeProvider.System).Current());
    }
}
