using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>
/// TUN GRO write path: merges consecutive TCP segments, and consecutive UDP datagrams, of one flow from a received
/// batch into superpackets that a TUN device opened with IFF_VNET_HDR accepts in one write, so the kernel walks its
/// stack once per superpacket instead of once per packet (and the forwarder makes one write instead of dozens).
/// </summary>
/// <remarks>
/// <para>A TCP segment joins the flow's open merge only when it is a candidate (see <see cref="TcpSegment.TryParse"/>)
/// and matches it: same addresses and ports, TOS, TTL and DF, same TCP header length and identical options, same
/// acknowledgment number, the next sequence number, a payload no larger than the first segment's (a shorter one ends
/// the merge, as does PSH), a total within 65,535 bytes, and a valid TCP checksum, as the merge's first segment must
/// have (each checked once, the joining one in the pass that copies its payload, so a segment that never merges is never
/// read). A UDP datagram joins when it is a candidate (see <see cref="UdpDatagram.TryParse"/>), the merge may take UDP
/// (<see cref="MergeUdp"/>), and it matches: same addresses and ports, TOS, TTL and DF, the next IPv4 id (or DF set,
/// where RFC 6864 gives the id no meaning), a payload no larger than the first one's (a shorter one ends the merge),
/// valid UDP checksums, at most
/// <see cref="MaxUdpSegments"/> datagrams and 65,535 bytes. A packet that does not match starts a new merge, and any
/// other packet of the flow ends its merge, so every flow leaves in the order it arrived; packets of different flows
/// may leave in a different order.</para>
/// <para>A merge of two or more packets leaves as a superpacket: the first packet's headers with the IPv4 total
/// length and header checksum fixed, the transport checksum field holding the pseudo-header sum (not complemented)
/// for the merged length, and <see cref="OffloadInfo"/> {NeedsChecksum, header length, GSO size = first payload,
/// checksum offset}; for TCP, PSH if the last segment had it and GSO type TcpV4; for UDP, the UDP length fixed and
/// GSO type UdpL4 (the kernel cuts it back into datagrams of GSO size, as USO does, numbering IPv4 ids up from the
/// first, which is why ids must be consecutive unless DF is set). Everything
/// else, a lone packet included, leaves byte for byte as it came with <see cref="OffloadInfo.None"/>.</para>
/// <para>Not thread-safe: one instance per forwarding thread. Allocation-free after construction.</para>
/// </remarks>
public sealed class GroCoalescer
{
    private const int IpHeaderLength = Ipv4Header.MinimumLength;

    /// <summary>
    /// Most datagrams in one UDP superpacket: the kernel refuses UDP GSO packets of more segments than its
    /// UDP_MAX_SEGMENTS (64 before Linux 6.10, 128 since), so the older limit holds everywhere.
    /// </summary>
    public const int MaxUdpSegments = 64;

    private readonly FlowTable _flows;
    private readonly int[] _segmentCounts;

    /// <param name="maxPackets">The largest input batch capacity this coalescer will be given.</param>
    /// <param name="mergeUdp">Whether UDP datagrams are merged too: only when the TUN device accepted USO4 (Linux 6.2+).</param>
    public GroCoalescer(int maxPackets, bool mergeUdp = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPackets, 1);
        _flows = new FlowTable(maxPackets);
        _segmentCounts = new int[maxPackets];
        MergeUdp = mergeUdp;
    }

    /// <summary>Whether UDP datagrams are merged (UdpL4 superpackets) as well as TCP segments.</summary>
    public bool MergeUdp { get; }

    /// <summary>The largest input batch capacity accepted.</summary>
    public int MaxPackets => _segmentCounts.Length;

    /// <summary>How many input packets output slot <paramref name="slot"/> of the last call holds (1 for a plain packet).</summary>
    public int SegmentCount(int slot) => _segmentCounts[slot];

    /// <summary>
    /// Fills <paramref name="superpackets"/> from slot 0 with the merged and passed-through packets of
    /// <paramref name="packets"/> and sets its <c>Count</c>, every slot's length and its offload metadata.
    /// </summary>
    /// <param name="packets">Plain IPv4 packets as the inbound processor left them (each trimmed to its total length;
    /// length 0 for dropped ones, which are skipped, as are lengths beyond a slot). Not modified.</param>
    /// <param name="superpackets">The output: capacity at least <paramref name="packets"/>' capacity (nothing may
    /// merge) and slots at least as large as its slots; <see cref="OffloadLimits.MaximumPacketLength"/>-byte slots let
    /// merges grow to the most IPv4 allows. Violations throw <see cref="ArgumentException"/> before anything is read.</param>
    public CoalescingResult Coalesce(PacketBatch packets, PacketBatch superpackets)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(superpackets);
        if (ReferenceEquals(packets, superpackets))
        {
            throw new ArgumentException("Superpackets must go to a different batch than the packets.", nameof(superpackets));
        }
        if (packets.Capacity > MaxPackets || superpackets.Capacity < packets.Capacity)
        {
            throw new ArgumentException(
                $"Input capacity {packets.Capacity} must be at most {MaxPackets} and at most the output's {superpackets.Capacity}.",
                nameof(packets));
        }
        if (superpackets.SlotSize < packets.SlotSize)
        {
            throw new ArgumentException(
                $"Output slots ({superpackets.SlotSize} bytes) must hold any input slot ({packets.SlotSize} bytes).", nameof(superpackets));
        }

        int mergeLimit = Math.Min(OffloadLimits.MaximumPacketLength, superpackets.SlotSize);
        int count = Math.Clamp(packets.Count, 0, packets.Capacity);
        superpackets.Count = 0;
        _flows.Clear();
        for (int i = 0; i < count; i++)
        {
            int length = packets.Length(i);
            if (length <= 0 || length > packets.SlotSize)
            {
                continue;
            }
            ReadOnlySpan<byte> packet = packets.Slot(i)[..length];
            if (TcpSegment.TryParse(packet, out TcpSegment segment))
            {
                int flow = _flows.FindOrAdd(segment.Flow);
                if (flow >= 0)
                {
                    ref OpenMerge merge = ref _flows.Merge(flow);
                    if (merge.Slot < 0 || !TryAppend(ref merge, packet, segment, superpackets, mergeLimit))
                    {
                        Open(ref merge, packet, segment, superpackets);
                    }
                    continue;
                }
            }
            else if (MergeUdp && UdpDatagram.TryParse(packet, out UdpDatagram datagram))
            {
                int flow = _flows.FindOrAdd(datagram.Flow);
                if (flow >= 0)
                {
                    ref OpenMerge merge = ref _flows.Merge(flow);
                    if (merge.Slot < 0 || !TryAppendUdp(ref merge, packet, datagram, superpackets, mergeLimit))
                    {
                        merge.Slot = Emit(packet, superpackets);
                        merge.SegmentSize = datagram.PayloadLength;
                        merge.Sealed = false;
                        merge.HeadVerified = false;
                    }
                    continue;
                }
            }
            else if (FlowKey.TryReadPorts(packet, out FlowKey key) && (MergeUdp || key.Protocol == Ipv4Header.ProtocolTcp))
            {
                int flow = _flows.Find(key);
                if (flow >= 0)
                {
                    _flows.Merge(flow).Slot = -1;
                }
            }
            Emit(packet, superpackets);
        }
        return Finish(superpackets);
    }

    private void Open(ref OpenMerge merge, ReadOnlySpan<byte> packet, in TcpSegment segment, PacketBatch superpackets)
    {
        merge.Slot = Emit(packet, superpackets);
        merge.NextSequence = segment.Sequence + (uint)segment.PayloadLength;
        merge.Acknowledgment = segment.Acknowledgment;
        merge.SegmentSize = segment.PayloadLength;
        merge.Sealed = segment.Push;
        merge.HeadVerified = false;
    }

    /// <summary>Copies a packet into the next output slot unchanged and returns the slot.</summary>
    private int Emit(ReadOnlySpan<byte> packet, PacketBatch superpackets)
    {
        int slot = superpackets.Count++;
        packet.CopyTo(superpackets.Slot(slot));
        superpackets.Length(slot) = packet.Length;
        superpackets.Offload(slot) = OffloadInfo.None;
        _segmentCounts[slot] = 1;
        return slot;
    }

    private bool TryAppend(ref OpenMerge merge, ReadOnlySpan<byte> packet, in TcpSegment segment, PacketBatch superpackets, int mergeLimit)
    {
        int slot = merge.Slot;
        int mergedLength = superpackets.Length(slot);
        ReadOnlySpan<byte> head = superpackets.Slot(slot)[..mergedLength];
        int headerLength = segment.HeaderLength;
        if (merge.Sealed ||
            segment.Sequence != merge.NextSequence ||
            segment.Acknowledgment != merge.Acknowledgment ||
            segment.PayloadLength > merge.SegmentSize ||
            mergedLength + segment.PayloadLength > mergeLimit ||
            !SameIpv4Treatment(head, packet) ||
            // Same data offset, and the options (everything past the fixed 20 bytes) byte for byte.
            head[IpHeaderLength + TcpLayout.DataOffsetOffset] != packet[IpHeaderLength + TcpLayout.DataOffsetOffset] ||
            !head[(IpHeaderLength + TcpLayout.MinimumHeaderLength)..headerLength].SequenceEqual(
                packet[(IpHeaderLength + TcpLayout.MinimumHeaderLength)..headerLength]))
        {
            return false;
        }
        if (!merge.HeadVerified)
        {
            // The head is still byte for byte the first segment: PSH and the lengths are only rewritten from here on.
            if (!PseudoHeader.TransportChecksumIsValid(head, Ipv4Header.ProtocolTcp))
            {
                return false;
            }
            merge.HeadVerified = true;
        }
        // Copied past the merge's end before its checksum is known: a corrupt segment leaves the length unchanged, so
        // the bytes it left there are never written anywhere.
        ushort payloadSum = InternetChecksum.SumAndCopy(packet[headerLength..], superpackets.Slot(slot)[mergedLength..]);
        if (PseudoHeader.TransportSum(packet, IpHeaderLength, segment.TcpHeaderLength, payloadSum, Ipv4Header.ProtocolTcp) != 0xFFFF)
        {
            return false;
        }
        superpackets.Length(slot) = mergedLength + segment.PayloadLength;
        _segmentCounts[slot]++;
        merge.NextSequence += (uint)segment.PayloadLength;
        if (segment.Push)
        {
            superpackets.Slot(slot)[IpHeaderLength + TcpLayout.FlagsOffset] |= TcpLayout.Psh;
        }
        merge.Sealed = segment.Push || segment.PayloadLength < merge.SegmentSize;
        if (_segmentCounts[slot] == 2)
        {
            superpackets.Offload(slot) = new OffloadInfo
            {
                Flags = OffloadFlags.NeedsChecksum,
                GsoType = GsoType.TcpV4,
                HeaderLength = (ushort)headerLength,
                GsoSize = (ushort)merge.SegmentSize,
                ChecksumStart = IpHeaderLength,
                ChecksumOffset = TcpLayout.ChecksumOffset,
            };
        }
        return true;
    }

    private bool TryAppendUdp(ref OpenMerge merge, ReadOnlySpan<byte> packet, in UdpDatagram datagram, PacketBatch superpackets, int mergeLimit)
    {
        int slot = merge.Slot;
        int mergedLength = superpackets.Length(slot);
        ReadOnlySpan<byte> head = superpackets.Slot(slot)[..mergedLength];
        if (merge.Sealed ||
            _segmentCounts[slot] >= MaxUdpSegments ||
            datagram.PayloadLength > merge.SegmentSize ||
            mergedLength + datagram.PayloadLength > mergeLimit ||
            !SameIpv4Treatment(head, packet) ||
            ((packet[Ipv4Header.FlagsAndFragmentOffset] & 0x40) == 0 &&
                BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.IdentificationOffset..]) !=
                (ushort)(BinaryPrimitives.ReadUInt16BigEndian(head[Ipv4Header.IdentificationOffset..]) + _segmentCounts[slot])) ||
            !UdpDatagram.ChecksumIsValid(packet))
        {
            return false;
        }
        if (!merge.HeadVerified)
        {
            // The head is still byte for byte the first datagram: its headers are only rewritten in Finish.
            if (!UdpDatagram.ChecksumIsValid(head))
            {
                return false;
            }
            merge.HeadVerified = true;
        }

        packet[UdpDatagram.HeaderLength..].CopyTo(superpackets.Slot(slot)[mergedLength..]);
        superpackets.Length(slot) = mergedLength + datagram.PayloadLength;
        _segmentCounts[slot]++;
        merge.Sealed = datagram.PayloadLength < merge.SegmentSize;
        if (_segmentCounts[slot] == 2)
        {
            superpackets.Offload(slot) = new OffloadInfo
            {
                Flags = OffloadFlags.NeedsChecksum,
                GsoType = GsoType.UdpL4,
                HeaderLength = UdpDatagram.HeaderLength,
                GsoSize = (ushort)merge.SegmentSize,
                ChecksumStart = IpHeaderLength,
                ChecksumOffset = UdpLayout.ChecksumOffset,
            };
        }
        return true;
    }

    /// <summary>
    /// The IPv4 fields a merged packet keeps from its first one and so must share with it: TTL, TOS and DF (Linux GRO
    /// flushes on the same differences).
    /// </summary>
    private static bool SameIpv4Treatment(ReadOnlySpan<byte> head, ReadOnlySpan<byte> packet) =>
        head[Ipv4Header.TtlOffset] == packet[Ipv4Header.TtlOffset] &&
        head[1] == packet[1] &&
        ((head[Ipv4Header.FlagsAndFragmentOffset] ^ packet[Ipv4Header.FlagsAndFragmentOffset]) & 0x40) == 0;

    /// <summary>Fixes the headers of every merge of two or more segments, once, now that their lengths are final.</summary>
    private CoalescingResult Finish(PacketBatch superpackets)
    {
        int merges = 0;
        int merged = 0;
        for (int slot = 0; slot < superpackets.Count; slot++)
        {
            if (_segmentCounts[slot] < 2)
            {
                continue;
            }
            merges++;
            merged += _segmentCounts[slot];
            Span<byte> packet = superpackets.Packet(slot);
            BinaryPrimitives.WriteUInt16BigEndian(packet[Ipv4Header.TotalLengthOffset..], (ushort)packet.Length);
            packet[Ipv4Header.ChecksumOffset] = 0;
            packet[Ipv4Header.ChecksumOffset + 1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(
                packet[Ipv4Header.ChecksumOffset..], InternetChecksum.Compute(packet[..IpHeaderLength]));
            int transportLength = packet.Length - IpHeaderLength;
            byte protocol = packet[Ipv4Header.ProtocolOffset];
            if (protocol == Ipv4Header.ProtocolUdp)
            {
                BinaryPrimitives.WriteUInt16BigEndian(packet[(IpHeaderLength + UdpLayout.LengthOffset)..], (ushort)transportLength);
            }
            // CHECKSUM_PARTIAL: the kernel adds the sum from the transport header on and complements it.
            OffloadInfo offload = superpackets.Offload(slot);
            BinaryPrimitives.WriteUInt16BigEndian(
                packet[(offload.ChecksumStart + offload.ChecksumOffset)..], PseudoHeader.Sum(packet, protocol, transportLength));
        }
        return new CoalescingResult(merges, merged);
    }
}
