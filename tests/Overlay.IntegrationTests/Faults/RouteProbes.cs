namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// Reads a daemon's route table from outside, as ForwardingTests does: a UDP probe routed to a lease that points at
/// the bare host arrives there as UDP NoPorts; a probe without a route comes back as ICMP net-unreachable
/// (flannel answers a routeless packet that way, but never an ICMP one, hence UDP rather than ping).
/// </summary>
internal static class RouteProbes
{
    private static readonly TimeSpan s_arrival = TimeSpan.FromSeconds(2);

    /// <summary>Sends one probe; true when the bare host counted it within two seconds.</summary>
    public static bool ReachesBareHost(this OverlayLab lab, int fromHost, string address)
    {
        long before = lab.UdpNoPorts(HandWrittenLeases.BareHost);
        lab.SendUdp(fromHost, address);
        return Poll.Until(() => lab.UdpNoPorts(HandWrittenLeases.BareHost) > before, s_arrival);
    }

    /// <summary>Sends one probe; true when the sender got ICMP destination-unreachable and the bare host got nothing.</summary>
    public static bool IsUnreachable(this OverlayLab lab, int fromHost, string address)
    {
        long noPorts = lab.UdpNoPorts(HandWrittenLeases.BareHost);
        long unreachables = lab.IcmpDestinationUnreachables(fromHost);
        lab.SendUdp(fromHost, address);
        bool answered = Poll.Until(() => lab.IcmpDestinationUnreachables(fromHost) > unreachables, s_arrival);
        return answered && lab.UdpNoPorts(HandWrittenLeases.BareHost) == noPorts;
    }

    /// <summary>Probes until one reaches the bare host (a route arrives through the etcd watch) or the timeout passes.</summary>
    public static bool BecomesReachable(this OverlayLab lab, int fromHost, string address, TimeSpan timeout) =>
        Poll.Until(() => lab.ReachesBareHost(fromHost, address), timeout, TimeSpan.FromMilliseconds(100));

    /// <summary>Probes until one comes back unreachable (a route leaves through the etcd watch) or the timeout passes.</summary>
    public static bool BecomesUnreachable(this OverlayLab lab, int fromHost, string address, TimeSpan timeout) =>
        Poll.Until(() => lab.IsUnreachable(fromHost, address), timeout, TimeSpan.FromMilliseconds(100));
}
