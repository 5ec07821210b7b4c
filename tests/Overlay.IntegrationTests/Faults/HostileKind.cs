namespace Overlay.IntegrationTests.Faults;

/// <summary>What a hostile datagram is built to be, named after the drop reason overlayd must count it under.</summary>
internal enum HostileKind
{
    /// <summary>0 to 19 bytes: random, or the start of an IPv4 header cut short.</summary>
    TooShort,

    /// <summary>20 bytes or more whose version nibble is not 4, IPv6 headers among them.</summary>
    NotIpv4,

    /// <summary>Version 4 with IHL below 5, a header longer than the datagram, or a total length inside the header.</summary>
    BadHeaderLength,

    /// <summary>A well-formed header whose total length claims more bytes than arrived.</summary>
    Truncated,

    /// <summary>A correct IPv4/UDP packet: overlayd must deliver it to its TUN device.</summary>
    Valid,
}
