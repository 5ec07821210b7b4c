namespace Overlay.DataPlane.Offload;

/// <summary>TCP header offsets and flag bits (RFC 9293), relative to the start of the TCP header.</summary>
internal static class TcpLayout
{
    public const int MinimumHeaderLength = 20;
    public const int SequenceOffset = 4;
    public const int AcknowledgmentOffset = 8;

    /// <summary>High nibble: header length in 32-bit words; low nibble: reserved bits (and AccECN's AE).</summary>
    public const int DataOffsetOffset = 12;
    public const int FlagsOffset = 13;
    public const int ChecksumOffset = 16;

    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;
    public const byte Urg = 0x20;
    public const byte Ece = 0x40;
    public const byte Cwr = 0x80;

    /// <summary>The header length in bytes, from the data offset nibble of the header at the start of <paramref name="tcp"/>.</summary>
    public static int HeaderLength(ReadOnlySpan<byte> tcp) => (tcp[DataOffsetOffset] >> 4) * 4;
}
