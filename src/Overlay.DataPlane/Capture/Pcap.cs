using System.Buffers.Binary;

namespace Overlay.DataPlane.Capture;

/// <summary>
/// The classic libpcap file format (what tcpdump -w writes and every Wireshark version reads): one 24-byte global
/// header, then per packet a 16-byte record header and the captured bytes. Written little-endian with the
/// microsecond magic; readers detect byte order from the magic.
/// </summary>
public static class Pcap
{
    public const uint MagicMicroseconds = 0xA1B2C3D4;

    public const ushort VersionMajor = 2;

    public const ushort VersionMinor = 4;

    public const int GlobalHeaderLength = 24;

    public const int RecordHeaderLength = 16;

    /// <summary>LINKTYPE_RAW: each record is a bare IP packet, exactly what the TUN device and the UDP payload carry.</summary>
    public const uint LinkTypeRaw = 101;

    /// <summary>
    /// LINKTYPE_LINUX_SLL ("Linux cooked capture", what tcpdump -i any writes): a 16-byte header before each packet
    /// whose packet type says which way it went. Wireshark shows it as "Sent by us" / "Unicast to us"
    /// (field <c>sll.pkttype</c>: 4 / 0).
    /// </summary>
    public const uint LinkTypeLinuxCooked = 113;

    public const int CookedHeaderLength = 16;

    /// <summary>LINUX_SLL_HOST: the packet came in (here: from a peer, for the TUN device).</summary>
    public const ushort CookedPacketToUs = 0;

    /// <summary>LINUX_SLL_OUTGOING: the packet went out (here: from the TUN device, to a peer).</summary>
    public const ushort CookedPacketFromUs = 4;

    // The TUN device's hardware type: no link-layer header, no address.
    private const ushort ArphrdNone = 0xFFFE;
    private const ushort EtherTypeIpv4 = 0x0800;

    /// <summary>Writes the file header. <paramref name="destination"/> needs <see cref="GlobalHeaderLength"/> bytes.</summary>
    public static void WriteGlobalHeader(Span<byte> destination, int snapLength, uint linkType = LinkTypeRaw)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, GlobalHeaderLength);
        ArgumentOutOfRangeException.ThrowIfNegative(snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, MagicMicroseconds);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], VersionMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], VersionMinor);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], 0); // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], 0); // sigfigs: always 0 in practice
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], linkType);
    }

    /// <summary>
    /// Writes the Linux cooked header of one IPv4 packet (big-endian, as libpcap defines it): packet type from
    /// <paramref name="direction"/>, hardware type ARPHRD_NONE, no link-layer address, protocol IPv4.
    /// <paramref name="destination"/> needs <see cref="CookedHeaderLength"/> bytes.
    /// </summary>
    public static void WriteCookedHeader(Span<byte> destination, CaptureDirection direction)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, CookedHeaderLength);
        destination[..CookedHeaderLength].Clear();
        BinaryPrimitives.WriteUInt16BigEndian(destination, direction == CaptureDirection.Inbound ? CookedPacketToUs : CookedPacketFromUs);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ArphrdNone);
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], EtherTypeIpv4);
    }

    /// <summary>
    /// Writes one record header. <paramref name="utcTicks"/> are <see cref="DateTime.Ticks"/> in UTC; pcap keeps
    /// seconds and microseconds since the Unix epoch. <paramref name="destination"/> needs
    /// <see cref="RecordHeaderLength"/> bytes.
    /// </summary>
    public static void WriteRecordHeader(Span<byte> destination, long utcTicks, int capturedLength, int originalLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, RecordHeaderLength);
        long sinceEpoch = Math.Max(0, utcTicks - DateTime.UnixEpoch.Ticks);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)(sinceEpoch / TimeSpan.TicksPerSecond));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)(sinceEpoch % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)capturedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], (uint)originalLength);
    }
}
