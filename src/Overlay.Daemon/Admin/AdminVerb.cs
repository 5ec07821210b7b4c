namespace Overlay.Daemon.Admin;

/// <summary>What an admin client asks for; the first word of its request line.</summary>
public enum AdminVerb
{
    /// <summary>The route table the data plane forwards with, one JSON line per route.</summary>
    Routes,

    /// <summary>The leases the daemon reads from etcd, one JSON line per lease.</summary>
    Leases,

    /// <summary>One JSON line of forwarding and capture totals.</summary>
    Stats,

    /// <summary>A pcap stream of forwarded packets.</summary>
    Capture,
}
