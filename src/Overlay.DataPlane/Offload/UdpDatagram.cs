using System.Buffers.Binary;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>The fields of a UDP/IPv4 packet that decide whether it may be merged with its neighbours, parsed once.</summary>
internal readonly struct UdpDatagram
{
    /// <summary>IPv4 (no options) plus UDP header: what a UDP superpacket carries once, before its payloads.</summary>
    public const int HeaderLength = Ipv4Header.MinimumLength + UdpLayout.HeaderLength;

    private UdpDatagram(ReadOnlySpan<byte> packet)
    {
        Flow = FlowKey.Read(packet, Ipv4Header.MinimumLength);
        PayloadLength = packet.Length - HeaderLength;
    }

    public FlowKey Flow { get; }

    public int PayloadLength { get; }

    /// <summary>
    /// True when <paramref name="packet"/> (exactly one packet long) may take part in a merge: IPv4 without options with
    /// a valid header checksum, total length equal to the packet, not a fragment, UDP whose length field matches, a
    /// payload, and a UDP checksum present (a datagram without one, 0, is passed through as it is, since the merged
    /// packet goes to the kernel as CHECKSUM_PARTIAL and would come out with one). The UDP checksum itself is left to
    /// <see cref="ChecksumIsValid"/>, which the coalescer calls only for datagrams that actually merge. Never throws.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out UdpDatagram datagram)
    {
        datagram = default;
        if (packet.Length <= HeaderLength ||
            packet[0] != 0x45 ||
            BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.TotalLengthOffset..]) != packet.Length ||
            // Only DF may be set: no MF, no fragment offset, no reserved bit.
            (BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.FlagsAndFragmentOffset..]) & ~0x4000) != 0 ||
            packet[Ipv4Header.ProtocolOffset] != Ipv4Header.ProtocolUdp)
        {
            return false;
        }
        ReadOnlySpan<byte> udp = packet[Ipv4Header.MinimumLength..];
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[UdpLayout.LengthOffset..]) != udp.Length ||
            BinaryPrimitives.ReadUInt16BigEndian(udp[UdpLayout.ChecksumOffset..]) == 0 ||
            !InternetChecksum.IsValid(packet[..Ipv4Header.MinimumLength]))
        {
            return false;
        }
        datagram = new UdpDatagram(packet);
        return true;
    }

    /// <summary>
    /// True when the UDP checksum of a datagram <see cref="TryParse"/> accepted is right. Verified before merging
    /// because the kernel trusts a CHECKSUM_PARTIAL superpacket, which would hide a corrupt datagram.
    /// </summary>
    public static bool ChecksumIsValid(ReadOnlySpan<byte> packet) => PseudoHeader.TransportChecksumIsValid(packet, Ipv4Header.ProtocolUdp);
}
