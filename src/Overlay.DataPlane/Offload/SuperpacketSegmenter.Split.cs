using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

public static partial class SuperpacketSegmenter
{
    // The virtio header's hdr_len is not trusted: on the FORWARD path it can cover the whole first segment. Header
    // lengths come from IHL and the TCP data offset instead, and the checksum fields from the protocol.

    // Each segment is its own headers, written in a segment slot, and a tail: its share of the payload, left in the
    // superpacket's slot and summed in place (one read pass, no copy). packetOffset is where the superpacket starts in
    // the tails' source, the superpacket batch's slab.

    private static DropReason SplitTcp(ReadOnlySpan<byte> packet, int packetOffset, int gsoSize, bool ecn, PacketBatch segments, out bool noRoom)
    {
        noRoom = false;
        int ipHeaderLength = (packet[0] & 0x0F) * 4;
        if (!IsWholeDatagram(packet, Ipv4Header.ProtocolTcp) || ipHeaderLength + TcpLayout.MinimumHeaderLength > packet.Length)
        {
            return DropReason.BadOffload;
        }
        int tcpHeaderLength = TcpLayout.HeaderLength(packet[ipHeaderLength..]);
        int headerLength = ipHeaderLength + tcpHeaderLength;
        if (tcpHeaderLength < TcpLayout.MinimumHeaderLength || headerLength > packet.Length)
        {
            return DropReason.BadOffload;
        }
        if (!TryPlan(packet.Length - headerLength, headerLength, gsoSize, segments, out int count, out noRoom))
        {
            return noRoom ? DropReason.None : DropReason.BadOffload;
        }

        ushort firstId = BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.IdentificationOffset..]);
        uint firstSequence = BinaryPrimitives.ReadUInt32BigEndian(packet[(ipHeaderLength + TcpLayout.SequenceOffset)..]);
        byte flags = packet[ipHeaderLength + TcpLayout.FlagsOffset];
        // FIN and PSH belong to the end of the data, so only the last segment keeps them; with ECN, CWR announces
        // the window reduction once, on the first.
        byte middleFlags = (byte)(flags & ~(TcpLayout.Fin | TcpLayout.Psh));
        byte laterCwrMask = ecn ? unchecked((byte)~TcpLayout.Cwr) : (byte)0xFF;
        for (int i = 0; i < count; i++)
        {
            Span<byte> segment = AppendSegment(packet, packetOffset, headerLength, gsoSize, i, segments, out int payloadLength, out ushort payloadSum);
            Span<byte> tcp = segment[ipHeaderLength..];
            BinaryPrimitives.WriteUInt16BigEndian(segment[Ipv4Header.IdentificationOffset..], (ushort)(firstId + i));
            FinishIpv4Header(segment, ipHeaderLength, headerLength + payloadLength);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[TcpLayout.SequenceOffset..], firstSequence + (uint)(i * gsoSize));
            byte segmentFlags = i == count - 1 ? flags : middleFlags;
            tcp[TcpLayout.FlagsOffset] = i == 0 ? segmentFlags : (byte)(segmentFlags & laterCwrMask);
            tcp[TcpLayout.ChecksumOffset] = 0;
            tcp[TcpLayout.ChecksumOffset + 1] = 0;
            ushort checksum = (ushort)~PseudoHeader.TransportSum(segment, ipHeaderLength, tcpHeaderLength, payloadLength, payloadSum, Ipv4Header.ProtocolTcp);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[TcpLayout.ChecksumOffset..], checksum);
        }
        return DropReason.None;
    }

    private static DropReason SplitUdp(ReadOnlySpan<byte> packet, int packetOffset, int gsoSize, PacketBatch segments, out bool noRoom)
    {
        noRoom = false;
        int ipHeaderLength = (packet[0] & 0x0F) * 4;
        int headerLength = ipHeaderLength + UdpLayout.HeaderLength;
        if (!IsWholeDatagram(packet, Ipv4Header.ProtocolUdp) || headerLength > packet.Length)
        {
            return DropReason.BadOffload;
        }
        if (!TryPlan(packet.Length - headerLength, headerLength, gsoSize, segments, out int count, out noRoom))
        {
            return noRoom ? DropReason.None : DropReason.BadOffload;
        }

        ushort firstId = BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.IdentificationOffset..]);
        for (int i = 0; i < count; i++)
        {
            Span<byte> segment = AppendSegment(packet, packetOffset, headerLength, gsoSize, i, segments, out int payloadLength, out ushort payloadSum);
            Span<byte> udp = segment[ipHeaderLength..];
            BinaryPrimitives.WriteUInt16BigEndian(segment[Ipv4Header.IdentificationOffset..], (ushort)(firstId + i));
            FinishIpv4Header(segment, ipHeaderLength, headerLength + payloadLength);
            BinaryPrimitives.WriteUInt16BigEndian(udp[UdpLayout.LengthOffset..], (ushort)(UdpLayout.HeaderLength + payloadLength));
            udp[UdpLayout.ChecksumOffset] = 0;
            udp[UdpLayout.ChecksumOffset + 1] = 0;
            ushort checksum = (ushort)~PseudoHeader.TransportSum(segment, ipHeaderLength, UdpLayout.HeaderLength, payloadLength, payloadSum, Ipv4Header.ProtocolUdp);
            // RFC 768: a computed zero is sent as all ones, because zero means "no checksum".
            BinaryPrimitives.WriteUInt16BigEndian(udp[UdpLayout.ChecksumOffset..], checksum == 0 ? (ushort)0xFFFF : checksum);
        }
        return DropReason.None;
    }

    /// <summary>The packet carries <paramref name="protocol"/> and is not a fragment, so its transport header is present.</summary>
    private static bool IsWholeDatagram(ReadOnlySpan<byte> packet, byte protocol) =>
        packet[Ipv4Header.ProtocolOffset] == protocol &&
        (BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.FlagsAndFragmentOffset..]) & 0x3FFF) == 0;

    /// <summary>
    /// How many segments <paramref name="payloadLength"/> bytes make, and whether they fit: false with
    /// <paramref name="noRoom"/> set means "come back with an emptier batch", without it "never fits".
    /// </summary>
    private static bool TryPlan(int payloadLength, int headerLength, int gsoSize, PacketBatch segments, out int count, out bool noRoom)
    {
        count = 0;
        noRoom = false;
        if (gsoSize == 0 || payloadLength <= 0 || headerLength + Math.Min(gsoSize, payloadLength) > segments.SlotSize)
        {
            return false;
        }
        count = (payloadLength + gsoSize - 1) / gsoSize;
        return TryReserve(segments, count, out noRoom);
    }

    /// <summary>
    /// Appends segment <paramref name="index"/>: the superpacket's headers copied into a new slot, and its share of the
    /// payload as the slot's tail, summed where it lies. Returns the headers in the slot.
    /// </summary>
    private static Span<byte> AppendSegment(
        ReadOnlySpan<byte> packet, int packetOffset, int headerLength, int gsoSize, int index, PacketBatch segments,
        out int payloadLength, out ushort payloadSum)
    {
        int payloadStart = headerLength + index * gsoSize;
        payloadLength = Math.Min(gsoSize, packet.Length - payloadStart);
        int slot = segments.Count++;
        Span<byte> headers = segments.Slot(slot)[..headerLength];
        packet[..headerLength].CopyTo(headers);
        payloadSum = InternetChecksum.Sum(packet.Slice(payloadStart, payloadLength));
        segments.Length(slot) = headerLength + payloadLength;
        segments.Tail(slot) = new PacketTail(packetOffset + payloadStart, payloadLength);
        segments.Offload(slot) = OffloadInfo.None;
        return headers;
    }

    /// <summary>Sets the total length to the segment's and recomputes the header checksum (the id is already set).</summary>
    private static void FinishIpv4Header(Span<byte> segment, int ipHeaderLength, int totalLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(segment[Ipv4Header.TotalLengthOffset..], (ushort)totalLength);
        segment[Ipv4Header.ChecksumOffset] = 0;
        segment[Ipv4Header.ChecksumOffset + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(
            segment[Ipv4Header.ChecksumOffset..], InternetChecksum.Compute(segment[..ipHeaderLength]));
    }
}
