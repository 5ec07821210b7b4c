using Overlay.DataPlane.Routing;

namespace Overlay.Linux.Netlink;

/// <summary>One IPv4 route from a RTM_GETROUTE dump, reduced to what interface discovery needs.</summary>
/// <param name="Destination">The destination network; 0.0.0.0/0 for a default route.</param>
/// <param name="OutputInterfaceIndex">RTA_OIF, or the first next hop's interface of a multipath route; 0 if none.</param>
/// <param name="Priority">RTA_PRIORITY (the metric); lower wins.</param>
/// <param name="Table">RTA_TABLE, or rtm_table when the attribute is absent.</param>
/// <param name="Type">rtm_type (RTN_UNICAST, RTN_LOCAL, ...).</param>
internal sealed record Ipv4RouteEntry(Ipv4Subnet Destination, int OutputInterfaceIndex, uint Priority, uint Table, byte Type);
