using System.Diagnostics.Metrics;
using Overlay.ControlPlane;
using Overlay.Daemon.Hosting;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tun;
using Overlay.Linux.Udp;

namespace Overlay.Daemon.Metrics;

/// <summary>
/// The daemon's numbers as System.Diagnostics.Metrics instruments, exported in Prometheus text format on the health
/// port. Every instrument is observable: it reads totals the data plane already keeps (added once per batch) at scrape
/// time, so metrics cost the packet path nothing beyond the per-batch adds. Per-peer series cover the busiest peers of the
/// current route table (at most -metrics-peers of them: <see cref="BusiestPeers"/>), labelled with the peer's public IP. prometheus-net prefixes each name with the meter's
/// ("overlay_").
/// </summary>
internal sealed class OverlayMetrics : IDisposable
{
    public const string MeterName = "Overlay";

    private static readonly DropReason[] s_reasons = [.. Enum.GetValues<DropReason>().Where(r => r != DropReason.None)];

    private static readonly BatchSide[] s_sides = [BatchSide.Outbound, BatchSide.Inbound];

    private readonly Meter _meter = new(MeterName, VersionInfo.Version);

    public OverlayMetrics(ForwardingPlane plane, RouteTableHolder routes, ControlPlaneService controlPlane, int peerLimit)
    {
        ForwardingCounters counters = plane.Counters;
        _meter.CreateObservableCounter("tun_read_packets", () => counters.Snapshot().TunPacketsRead, "packets", "Packets read from the TUN device");
        _meter.CreateObservableCounter("tun_read_bytes", () => counters.Snapshot().TunBytesRead, "bytes", "Bytes read from the TUN device");
        _meter.CreateObservableCounter("udp_sent_packets", () => counters.Snapshot().UdpPacketsSent, "packets", "Encapsulated packets sent to peers");
        _meter.CreateObservableCounter("udp_sent_bytes", () => counters.Snapshot().UdpBytesSent, "bytes", "Encapsulated bytes sent to peers (inner packets)");
        _meter.CreateObservableCounter("udp_received_packets", () => counters.Snapshot().UdpPacketsReceived, "packets", "Encapsulated packets received from peers");
        _meter.CreateObservableCounter("udp_received_bytes", () => counters.Snapshot().UdpBytesReceived, "bytes", "Encapsulated bytes received from peers (inner packets)");
        _meter.CreateObservableCounter("tun_written_packets", () => counters.Snapshot().TunPacketsWritten, "packets", "Packets written into the TUN device");
        _meter.CreateObservableCounter("tun_superpackets_read", () => counters.Snapshot().SuperpacketsSplit, "superpackets", "TSO/USO superpackets read from the TUN and cut into packets");
        _meter.CreateObservableCounter("tun_superpacket_packets_read", () => counters.Snapshot().SegmentsProduced, "packets", "Packets cut from those superpackets");
        _meter.CreateObservableCounter("tun_superpackets_written", () => counters.Snapshot().SuperpacketsBuilt, "superpackets", "Superpackets merged from two or more received packets and offered to the TUN");
        _meter.CreateObservableCounter("tun_superpacket_packets_written", () => counters.Snapshot().SegmentsCoalesced, "packets", "Received packets merged into those superpackets");
        _meter.CreateObservableCounter("icmp_replies", () => counters.Snapshot().IcmpRepliesGenerated, "packets", "ICMP net-unreachable replies written into the TUN");
        _meter.CreateObservableCounter("icmp_replies_suppressed", () => counters.Snapshot().IcmpRepliesSuppressed, "packets", "Unrouted packets left unanswered because ICMP replies were over -icmp-reply-rate (still counted as no_route drops)");
        var peers = new BusiestPeers(counters.Peers, routes, peerLimit, TimeProvider.System);
        _meter.CreateObservableCounter("peer_sent_packets", () => PerPeer(peers, p => p.SentPackets), "packets", "Packets sent to each peer (by its public IP)");
        _meter.CreateObservableCounter("peer_sent_bytes", () => PerPeer(peers, p => p.SentBytes), "bytes", "Bytes sent to each peer (inner packets)");
        _meter.CreateObservableCounter("peer_received_packets", () => PerPeer(peers, p => p.ReceivedPackets), "packets", "Packets received from each peer and passed on to the TUN");
        _meter.CreateObservableCounter("peer_received_bytes", () => PerPeer(peers, p => p.ReceivedBytes), "bytes", "Bytes received from each peer (inner packets)");
        _meter.CreateObservableCounter("batches", () => Batches(counters), "batches", "Forwarding pumps by direction and packets moved per pump (one wake-up's work)");
        _meter.CreateObservableCounter("dropped_packets", () => Drops(counters), "packets", "Packets dropped, by reason");
        _meter.CreateObservableCounter("udp_gso_runs", () => Sum(plane.Sockets, s => s.GsoRuns), "sends", "UDP GSO sends (one syscall entry carrying a run of packets)");
        _meter.CreateObservableCounter("udp_gso_segments", () => Sum(plane.Sockets, s => s.GsoSegments), "packets", "Packets sent inside UDP GSO runs");
        _meter.CreateObservableCounter("udp_gro_messages", () => Sum(plane.Sockets, s => s.GroMessages), "messages", "Coalesced UDP GRO receives");
        _meter.CreateObservableCounter("udp_gro_segments", () => Sum(plane.Sockets, s => s.GroSegments), "packets", "Packets received inside UDP GRO messages");
        _meter.CreateObservableCounter("udp_gro_messages_in_place", () => Sum(plane.Sockets, s => s.GroMessagesInPlace), "messages", "UDP GRO receives the kernel wrote straight into a forwarding batch, with no copy out");
        _meter.CreateObservableGauge("udp_gso_enabled", () => AllGso(plane.Sockets), null, "1 while every UDP socket sends with GSO; 0 once the kernel refused it (the log says why)");
        _meter.CreateObservableCounter("udp_send_failures", () => Sum(plane.Sockets, s => s.SendFailures), "packets", "Datagrams the kernel refused to send (each dropped as SendFailed)");
        _meter.CreateObservableCounter("udp_receive_errors", () => Sum(plane.Sockets, s => s.ReceiveErrors), "errors", "recvmmsg failures other than EAGAIN");
        _meter.CreateObservableCounter("udp_truncated_datagrams", () => Sum(plane.Sockets, s => s.TruncatedDatagrams), "datagrams", "Datagrams longer than a slot, dropped");
        _meter.CreateObservableCounter("tun_read_errors", () => Sum(plane.Queues, q => q.ReadErrors), "errors", "TUN read failures other than EAGAIN, and reads too short for a vnet header");
        _meter.CreateObservableCounter("tun_write_failures", () => Sum(plane.Queues, q => q.WriteFailures), "packets", "Packets the TUN refused (each dropped as TunWriteFailed)");
        _meter.CreateObservableGauge("routes", () => routes.Current.Count, "routes", "Peer routes in the table the data plane uses");
        _meter.CreateObservableGauge("route_table_age_seconds", () => routes.Age.TotalSeconds, "s", "Seconds since the route table was last published");
        _meter.CreateObservableGauge("etcd_connected", () => controlPlane.EtcdConnected ? 1 : 0, null, "1 while the etcd watch is connected");
        _meter.CreateObservableGauge("etcd_watch_revision", () => controlPlane.WatchRevision, null, "The etcd revision the peer watch has reached");
        _meter.CreateObservableGauge("lease_expiry_seconds", () => LeaseExpiry(controlPlane), "s", "Seconds until this host's subnet lease expires");
        _meter.CreateObservableGauge("lease_info", () => LeaseInfo(controlPlane), null, "1, labelled with this host's current subnet lease (it changes when the lease moves)");
    }

    public void Dispose() => _meter.Dispose();

    private static IEnumerable<Measurement<long>> Drops(ForwardingCounters counters)
    {
        ForwardingSnapshot snapshot = counters.Snapshot();
        foreach (DropReason reason in s_reasons)
        {
            yield return new Measurement<long>(snapshot.Dropped(reason), new KeyValuePair<string, object?>("reason", reason.ToString()));
        }
    }

    private static IEnumerable<Measurement<long>> Batches(ForwardingCounters counters)
    {
        foreach (BatchSide side in s_sides)
        {
            string direction = side == BatchSide.Outbound ? "tun_to_udp" : "udp_to_tun";
            for (int bucket = 0; bucket < BatchSizes.BucketCount; bucket++)
            {
                yield return new Measurement<long>(
                    counters.Batches(side, bucket),
                    new KeyValuePair<string, object?>("direction", direction),
                    new KeyValuePair<string, object?>("packets", BatchSizes.Label(bucket)));
            }
        }
    }

    private static IEnumerable<Measurement<long>> PerPeer(BusiestPeers peers, Func<PeerTraffic, long> value)
    {
        foreach (LabelledPeer peer in peers.Current())
        {
            yield return new Measurement<long>(value(peer.Traffic), peer.Label);
        }
    }

    private static long Sum<T>(IReadOnlyList<T> sources, Func<T, long> counter)
    {
        long total = 0;
        foreach (T source in sources)
        {
            total += counter(source);
        }
        return total;
    }

    private static int AllGso(IReadOnlyList<UdpBatchSocket> sockets)
    {
        foreach (UdpBatchSocket socket in sockets)
        {
            if (!socket.GsoEnabled)
            {
                return 0;
            }
        }
        return 1;
    }

    private static IEnumerable<Measurement<int>> LeaseInfo(ControlPlaneService controlPlane)
    {
        if (controlPlane.CurrentLease is { } lease)
        {
            yield return new Measurement<int>(1, new KeyValuePair<string, object?>("subnet", lease.Subnet.ToString()));
        }
    }

    private static double LeaseExpiry(ControlPlaneService controlPlane) =>
        controlPlane.CurrentLease is { } lease ? (lease.Expiration - DateTimeOffset.UtcNow).TotalSeconds : 0;
}
