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
