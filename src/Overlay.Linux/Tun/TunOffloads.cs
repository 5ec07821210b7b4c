namespace Overlay.Linux.Tun;

/// <summary>The TUN_F_* offloads a TUN device accepted through TUNSETOFFLOAD.</summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,

    /// <summary>Packets may carry a partial checksum (NEEDS_CSUM), in both directions.</summary>
    Checksum = 0x01,

    /// <summary>TCP over IPv4 superpackets.</summary>
    Tso4 = 0x02,

    /// <summary>TCP over IPv6 superpackets.</summary>
    Tso6 = 0x04,

    /// <summary>TCP superpackets whose segments carry ECN's CWR bit.</summary>
    TsoEcn = 0x08,

    /// <summary>UDP over IPv4 superpackets (Linux 6.2).</summary>
    Uso4 = 0x20,

    /// <summary>UDP over IPv6 superpackets (Linux 6.2).</summary>
    Uso6 = 0x40,
}
