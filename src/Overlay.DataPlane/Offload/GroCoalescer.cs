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
/// the merge, as does PSH), at most <see cref="MaxTcpSegments"/> segments and 65,535 bytes, and a valid TCP checksum, as
/// the merge's first segment must have (each checked once, the first only when a second joins, so a segment that never
/// merges is never read). A UDP datagram joins when it is a candidate (see <see cref="UdpDatagram.TryParse"/>), the merge may take UDP
/// (<see cref="MergeUdp"/>), and it matches: same addresses and ports, TOS, TTL and DF, the next IPv4 id (or DF set,
/// where RFC 6864 gives the id no meaning), a payload no larger than the first one's (a shorter one ends the merge),
/// valid UDP checksums, at most
/// <see cref="MaxUdpSegments"/> datagrams and 65,535 bytes. A packet that does not match starts a new merge, and any
/// other packet of the flow ends its merge, so every flow leaves in the order it arrived; packets of different flows
/// may leave in a different order.</para>
/// <para>Nothing is copied: the output names, for each packet to write, the slot it starts in and the slots whose
/// payloads follow (<see cref="GatheredPackets"/>), and a TUN writer gathers them into one write.</para>
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

    /// <summary>
    /// Most packets in one TCP merge. A gathered write takes one iovec per packet, so the writer can keep a fixed
    /// array of them (the kernel takes at most 1,024 per call); a 64 KiB merge of full-size segments at a 1,472-byte
    /// MTU has 46, and only segments of under about 1,000 bytes would ever reach the limit.
    /// </summary>
    public const int MaxTcpSegments = 64;

    private readonly FlowTable _flows;
    private readonly GatheredPackets _contiguous;
    private GatheredPackets _last;

    /// <param name="maxPackets">The largest input batch capacity this coalescer will be given.</param>
    /// <param name="mergeUdp">Whether UDP datagrams are merged too: only when the TUN device accepted USO4 (Linux 6.2+).</param>
    public GroCoalescer(int maxPackets, bool mergeUdp = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPackets, 1);
        _flows = new FlowTable(maxPackets);
        _contiguous = new GatheredPackets(maxPackets);
        _last = _contiguous;
        MergeUdp = mergeUdp;
    }

    /// <summary>Whether UDP datagrams are merged (UdpL4 superpackets) as well as TCP segments.</summary>
    public bool MergeUdp { get; }

    /// <summary>The largest input batch capacity accepted.</summary>
    public int MaxPackets => _contiguous.Capacity;

    /// <summary>How many input packets output packet <paramref name="slot"/> of the last call holds (1 for a plain packet).</summary>
    public int SegmentCount(int slot) => _last.Pieces(slot);

    /// <summary>
    /// Describes the merged and passed-through packets of <paramref name="packets"/> in <paramref name="output"/>,
    /// as pieces of <paramref name="packets"/>' own slots: nothing is copied. A merge's first packet keeps its slot,
    /// and its headers are rewritten there; the packets merged after it contribute their payloads from their slots.
    /// </summary>
    /// <param name="packets">Plain IPv4 packets as the inbound processor left them (each trimmed to its total length;
    /// length 0 for dropped ones, which are skipped, as are lengths beyond a slot). The headers of merges' first
    /// packets are rewritten in place; nothing else is modified.</param>
    /// <param name="output">Capacity at least <paramref name="packets"/>' capacity (nothing may merge); valid until
    /// <paramref name="packets"/> is reused. Violations throw <see cref="ArgumentException"/> before anything is read.</param>
    public CoalescingResult Coalesce(PacketBatch packets, GatheredPackets output)
    {
        ArgumentNullException.ThrowIfNull(packets);
        ArgumentNullException.ThrowIfNull(output);
        if (packets.Capacity > MaxPackets || output.Capacity < packets.Capacity)
        {
            throw new ArgumentException(
                $"Input capacity {packets.Capacity} must be at most {MaxPackets} and at most the output's {output.Capacity}.",
                nameof(packets));
        }
        return Gather(packets, output, OffloadLimits.MaximumPacketLength);
    }

    /// <summary>
    /// As the gathering overload, but copies every packet, merged or not, contiguous into <paramref name="superpackets"/>
    /// from slot 0 and sets its <c>Count</c>, every slot's length and its offload metadata: for writers that cannot
    /// gather.
    /// </summary>
    /// <param name="packets">As for the gathering overload: merges' first packets get their headers rewritten.</param>
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

        CoalescingResult result = Gather(packets, _contiguous, Math.Min(OffloadLimits.MaximumPacketLength, superpackets.SlotSize));
        superpackets.Count = _contiguous.Count;
        for (int slot = 0; slot < _contiguous.Count; slot++)
        {
            superpackets.Length(slot) = _contiguous.CopyTo(packets, slot, superpackets.Slot(slot));
            superpackets.Offload(slot) = _contiguous.Offload(slot);
        }
        return result;
    }

    private CoalescingResult Gather(PacketBatch packets, GatheredPackets output, int mergeLimit)
    {
        _last = output;
        int count = packets.Count;
        output.Clear();
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
                    if (merge.Packet < 0 || !TryAppend(ref merge, packets, i, segment, output, mergeLimit))
                    {
                        Open(ref merge, i, length, segment, output);
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
                    if (merge.Packet < 0 || !TryAppendUdp(ref merge, packets, i, datagram, output, mergeLimit))
                    {
                        merge.Packet = output.Add(i, length);
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
                    _flows.Merge(flow).Packet = -1;
                }
            }
            output.Add(i, length);
        }
        return Finish(packets, output);
    }

    private static void Open(ref OpenMerge merge, int slot, int length, in TcpSegment segment, GatheredPackets output)
    {
        merge.Packet = output.Add(slot, length);
        merge.NextSequence = segment.Sequence + (uint)segment.PayloadLength;
        merge.Acknowledgment = segment.Acknowledgment;
        merge.SegmentSize = segment.PayloadLength;
        merge.Sealed = segment.Push;
        merge.HeadVerified = false;
    }

    private static bool TryAppend(ref OpenMerge merge, PacketBatch packets, int slot, in TcpSegment segment, GatheredPackets output, int mergeLimit)
    {
        int target = merge.Packet;
        int mergedLength = output.Length(target);
        Span<byte> head = packets.Slot(output.HeadSlot(target))[..output.HeadLength(target)];
        ReadOnlySpan<byte> packet = packets.Packet(slot);
        int headerLength = segment.HeaderLength;
        if (merge.Sealed ||
            output.Pieces(target) >= MaxTcpSegments ||
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
        if (!PseudoHeader.TransportChecksumIsValid(packet, Ipv4Header.ProtocolTcp))
        {
            return false;
        }
        output.AddTail(target, slot, headerLength, segment.PayloadLength);
        merge.NextSequence += (uint)segment.PayloadLength;
        if (segment.Push)
        {
            head[IpHeaderLength + TcpLayout.FlagsOffset] |= TcpLayout.Psh;
        }
        merge.Sealed = segment.Push || segment.PayloadLength < merge.SegmentSize;
        if (output.Pieces(target) == 2)
        {
            output.Offload(target) = new OffloadInfo
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

    private static bool TryAppendUdp(ref OpenMerge merge, PacketBatch packets, int slot, in UdpDatagram datagram, GatheredPackets output, int mergeLimit)
    {
        int target = merge.Packet;
        int mergedLength = output.Length(target);
        ReadOnlySpan<byte> head = packets.Slot(output.HeadSlot(target))[..output.HeadLength(target)];
        ReadOnlySpan<byte> packet = packets.Packet(slot);
        int pieces = output.Pieces(target);
        if (merge.Sealed ||
            pieces >= MaxUdpSegments ||
            datagram.PayloadLength > merge.SegmentSize ||
            mergedLength + datagram.PayloadLength > mergeLimit ||
            !SameIpv4Treatment(head, packet) ||
            ((packet[Ipv4Header.FlagsAndFragmentOffset] & 0x40) == 0 &&
                BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.IdentificationOffset..]) !=
                (ushort)(BinaryPrimitives.ReadUInt16BigEndian(head[Ipv4Header.IdentificationOffset..]) + pieces)) ||
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

        output.AddTail(target, slot, UdpDatagram.HeaderLength, datagram.PayloadLength);
        merge.Sealed = datagram.PayloadLength < merge.SegmentSize;
        if (pieces + 1 == 2)
        {
            output.Offload(target) = new OffloadInfo
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

    /// <summary>
    /// Fixes the headers of every merge of two or more packets, once, now that their lengths are final: in the first
    /// packet's slot, which the merge's writes start with.
    /// </summary>
    private static CoalescingResult Finish(PacketBatch packets, GatheredPackets output)
    {
        int merges = 0;
        int merged = 0;
        for (int target = 0; target < output.Count; target++)
        {
            int pieces = output.Pieces(target);
            if (pieces < 2)
            {
                continue;
            }
            merges++;
            merged += pieces;
            int length = output.Length(target);
            Span<byte> head = packets.Slot(output.HeadSlot(target))[..output.HeadLength(target)];
            BinaryPrimitives.WriteUInt16BigEndian(head[Ipv4Header.TotalLengthOffset..], (ushort)length);
            head[Ipv4Header.ChecksumOffset] = 0;
            head[Ipv4Header.ChecksumOffset + 1] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(
                head[Ipv4Header.ChecksumOffset..], InternetChecksum.Compute(head[..IpHeaderLength]));
            int transportLength = length - IpHeaderLength;
            byte protocol = head[Ipv4Header.ProtocolOffset];
            if (protocol == Ipv4Header.ProtocolUdp)
            {
                BinaryPrimitives.WriteUInt16BigEndian(head[(IpHeaderLength + UdpLayout.LengthOffset)..], (ushort)transportLength);
            }
            // CHECKSUM_PARTIAL: the kernel adds the sum from the transport header on and complements it.
            OffloadInfo offload = output.Offload(target);
            BinaryPrimitives.WriteUInt16BigEndian(
                head[(offload.ChecksumStart + offload.ChecksumOffset)..], PseudoHeader.Sum(head, protocol, transportLength));
        }
        return new CoalescingResult(merges, merged);
    }
}
