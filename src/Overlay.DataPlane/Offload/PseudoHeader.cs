using System.Buffers.Binary;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>The IPv4 pseudo-header that TCP and UDP checksums cover (RFC 9293 §3.1, RFC 768).</summary>
internal static class PseudoHeader
{
    /// <summary>
    /// The folded, uncomplemented sum of source, destination, zero-padded protocol and <paramref name="transportLength"/>,
    /// with the addresses taken from the IPv4 header at the start of <paramref name="ipv4Packet"/> (at least 20 bytes).
    /// </summary>
    public static ushort Sum(ReadOnlySpan<byte> ipv4Packet, byte protocol, int transportLength)
    {
        uint sum = (uint)protocol + (uint)transportLength;
        sum += BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[Ipv4Header.SourceOffset..]);
        sum += BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[(Ipv4Header.SourceOffset + 2)..]);
        sum += BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[Ipv4Header.DestinationOffset..]);
        sum += BinaryPrimitives.ReadUInt16BigEndian(ipv4Packet[(Ipv4Header.DestinationOffset + 2)..]);
        // At most 4 × 0xFFFF + 0xFF + 0xFFFF: two folds leave no carry.
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    /// <summary>
    /// True when the TCP or UDP checksum of <paramref name="ipv4Packet"/> (an IPv4 header without options, then the
    /// transport header and payload to the end of the span) is right.
    /// </summary>
    public static bool TransportChecksumIsValid(ReadOnlySpan<byte> ipv4Packet, byte protocol)
    {
        ReadOnlySpan<byte> transport = ipv4Packet[Ipv4Header.MinimumLength..];
        return InternetChecksum.Add(InternetChecksum.Sum(transport), Sum(ipv4Packet, protocol, transport.Length)) == 0xFFFF;
    }

    /// <summary>
    /// The folded sum a TCP or UDP checksum covers, when the payload's sum is already known (from the one pass that read
    /// it): the pseudo-header, the transport header at <paramref name="ipHeaderLength"/> of <paramref name="headers"/>
    /// (checksum field included, as it stands) and <paramref name="payloadSum"/> over <paramref name="payloadLength"/>
    /// bytes, which need not follow the headers in memory. Transport headers have even lengths, so the sums add up.
    /// All ones means a valid checksum; with the field zeroed, its complement is the checksum to store.
    /// </summary>
    public static ushort TransportSum(ReadOnlySpan<byte> headers, int ipHeaderLength, int transportHeaderLength, int payloadLength, ushort payloadSum, byte protocol)
    {
        ushort headerSum = InternetChecksum.Sum(headers.Slice(ipHeaderLength, transportHeaderLength));
        return InternetChecksum.Add(
            InternetChecksum.Add(headerSum, payloadSum), Sum(headers, protocol, transportHeaderLength + payloadLength));
    }
}
