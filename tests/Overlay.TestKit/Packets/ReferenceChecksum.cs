namespace Overlay.TestKit.Packets;

/// <summary>
/// The Internet checksum (RFC 1071) written the plain way, one big-endian 16-bit word at a time, so tests can judge
/// the data plane's fast implementation against something independent of it.
/// </summary>
public static class ReferenceChecksum
{
    /// <summary>The checksum of <paramref name="data"/>, starting from an unfolded sum of other words (e.g. a pseudo-header).</summary>
    public static ushort Compute(ReadOnlySpan<byte> data, ulong initialSum = 0)
    {
        ulong sum = initialSum;
        for (int i = 0; i + 1 < data.Length; i += 2)
        {
            sum += (ulong)((data[i] << 8) | data[i + 1]);
        }
        if (data.Length % 2 == 1)
        {
            sum += (ulong)data[^1] << 8;
        }
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (ushort)~sum;
    }

    /// <summary>The unfolded sum of the UDP/TCP pseudo-header: source, destination, zero, protocol, length.</summary>
    public static ulong PseudoHeaderSum(uint source, uint destination, byte protocol, int length) =>
        (source >> 16) + (source & 0xFFFF) + (destination >> 16) + (destination & 0xFFFF) + protocol + (ulong)length;

    /// <summary>True when the IPv4 header at the start of <paramref name="packet"/> (IHL × 4 bytes) checks out.</summary>
    public static bool HeaderIsValid(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20)
        {
            return false;
        }
        int headerLength = (packet[0] & 0x0F) * 4;
        return headerLength >= 20 && headerLength <= packet.Length && Compute(packet[..headerLength]) == 0;
    }
}
