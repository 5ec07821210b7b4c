using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Admin;

/// <summary>What a <c>stats</c> request reports, gathered at one moment.</summary>
/// <param name="Totals">Host-wide forwarding totals.</param>
/// <param name="Routes">Routes in the table the data plane uses.</param>
/// <param name="Peers">Per-peer totals for that table's peers.</param>
/// <param name="LocalSubnet">This host's own lease, null while it holds none.</param>
public sealed record StatsAnswer(ForwardingSnapshot Totals, int Routes, IReadOnlyList<PeerTraffic> Peers, Ipv4Subnet? LocalSubnet);
