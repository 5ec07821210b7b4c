namespace Overlay.DataPlane.Forwarding;

/// <summary>Why the data plane dropped a packet. Every drop is counted under exactly one reason.</summary>
public enum DropReason
{
    /// <summary>Not a drop: the packet passed the check.</summary>
    None = 0,

    /// <summary>Fewer than 20 bytes (including empty slots a source reported as lost).</summary>
    TooShort,

    /// <summary>The version nibble is not 4 (IPv6 and garbage; flannel would mis-parse these as IPv4).</summary>
    NotIpv4,

    /// <summary>IHL below 5, a header longer than the bytes received, or a total length shorter than the header.</summary>
    BadHeaderLength,

    /// <summary>The total length claims more bytes than were received.</summary>
    Truncated,

    /// <summary>No route covers the destination (an ICMP net-unreachable may have been sent back).</summary>
    NoRoute,

    /// <summary>The TTL was 0 or 1, so forwarding it would take it to zero (dropped silently, as flannel does).</summary>
    TtlExpired,

    /// <summary>The UDP socket did not accept the datagram.</summary>
    SendFailed,

    /// <summary>The TUN device did not accept the packet.</summary>
    TunWriteFailed,

    /// <summary>
    /// Offload metadata from the TUN device that does not fit the packet: an unknown GSO type, a GSO size of 0, a
    /// transport header missing or of the wrong protocol, a fragment, no payload to cut, a checksum field outside the
    /// packet, or segments (or a plain packet) that cannot fit the MTU-sized output. Header faults the validator
    /// catches keep their own reasons.
    /// </summary>
    BadOffload,

    /// <summary>
    /// A well-formed datagram whose source address is not the public address of any peer in the current route table
    /// (checked only when the inbound processor's source check is on).
    /// </summary>
    UnknownSource,
}
