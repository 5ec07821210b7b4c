using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>
/// TUN TSO/USO read path: turns what a TUN device opened with IFF_VNET_HDR hands over (each slot a packet of up to
/// 65,535 bytes plus its <see cref="OffloadInfo"/>) into plain, MTU-sized IPv4 packets with complete checksums, the
/// only thing the wire may carry (one ordinary packet per datagram, as flannel peers expect).
/// </summary>
/// <remarks>
/// Per input slot, by <see cref="OffloadInfo.GsoType"/>:
/// <list type="bullet">
/// <item>None with <see cref="OffloadFlags.NeedsChecksum"/>: copied, and the transport checksum completed.</item>
/// <item>None without it: copied as is; the forwarder validates it like any packet read from a plain TUN.</item>
/// <item>TcpV4 (with or without the ECN bit) and UdpL4: cut into segments of <see cref="OffloadInfo.GsoSize"/> payload
/// bytes, each with its own IPv4 id, total length and header checksum, and a full transport checksum.</item>
/// <item>TcpV6 and anything whose version is not 4: dropped as <see cref="DropReason.NotIpv4"/> (plain packets by the
/// forwarder's validation, like every other header fault).</item>
/// </list>
/// Superpackets whose metadata lies about the packet are dropped and counted as <see cref="DropReason.BadOffload"/>
/// (header faults the validator catches keep their own reasons), never thrown on. Stateless, thread-safe and
/// allocation-free.
/// </remarks>
public static partial class SuperpacketSegmenter
{
    /// <summary>
    /// Handles input slots from <paramref name="first"/> on, appending their packets to <paramref name="segments"/>
    /// from its current <c>Count</c>, each superpacket's segments consecutive and in order. Stops early, before a
    /// superpacket whose segments do not all fit the room left, so no superpacket is ever half sent.
    /// </summary>
    /// <param name="superpackets">Slots as read from an offload TUN, with their lengths and offload metadata. Not
    /// modified (checksums are completed in the copies), and must not be until the segments are sent: each segment
    /// of a superpacket keeps its payload there, as its <see cref="PacketBatch.Tail"/>.</param>
    /// <param name="first">The first slot to handle (0 on the first call for a batch).</param>
    /// <param name="segments">Where the plain packets go; its slot size is the TUN MTU. A superpacket needing more
    /// slots than its whole capacity, or segments longer than a slot, is dropped. Appended slots get
    /// <see cref="OffloadInfo.None"/>. Must not be <paramref name="superpackets"/>.</param>
    /// <param name="tally">The calling thread's tally: receives drops (and nothing else).</param>
    public static SegmentationProgress Segment(PacketBatch superpackets, int first, PacketBatch segments, ForwardingTally tally)
    {
        ArgumentNullException.ThrowIfNull(superpackets);
        ArgumentNullException.ThrowIfNull(segments);
        ArgumentNullException.ThrowIfNull(tally);
        if (ReferenceEquals(superpackets, segments))
        {
            throw new ArgumentException("Segments must go to a different batch than the superpackets.", nameof(segments));
        }
        int count = superpackets.Count;
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        // Segments' payloads stay in the superpackets' slots; the caller sends them before the next read.
        segments.TailSource = superpackets.Slab;

        int slot = first;
        int appended = 0;
        int split = 0;
        int splitSegments = 0;
        int dropped = 0;
        long droppedBytes = 0;
        for (; slot < count; slot++)
        {
            int before = segments.Count;
            DropReason reason = SegmentOne(superpackets, slot, segments, out bool noRoom);
            if (noRoom)
            {
                break;
            }
            int added = segments.Count - before;
            appended += added;
            if (reason != DropReason.None)
            {
                tally.AddDrop(reason);
                dropped++;
                droppedBytes += Math.Max(0, superpackets.Length(slot));
            }
            else if (superpackets.Offload(slot).GsoType != GsoType.None)
            {
                split++;
                splitSegments += added;
            }
        }
        return new SegmentationProgress(Math.Max(0, slot - first), appended, split, splitSegments, dropped, droppedBytes);
    }

    private static DropReason SegmentOne(PacketBatch superpackets, int slot, PacketBatch segments, out bool noRoom)
    {
        noRoom = false;
        int received = superpackets.Length(slot);
        if ((uint)received > (uint)superpackets.SlotSize)
        {
            // A source that reports more than a slot holds broke its contract; never read past the slot.
            return DropReason.Truncated;
        }
        ReadOnlySpan<byte> packet = superpackets.Slot(slot)[..received];
        OffloadInfo offload = superpackets.Offload(slot);
        GsoType gsoType = offload.GsoType & ~GsoType.Ecn;
        bool ecn = (offload.GsoType & GsoType.Ecn) != 0;

        if (gsoType == GsoType.None && !ecn)
        {
            if ((offload.Flags & OffloadFlags.NeedsChecksum) == 0)
            {
                return CopyPlain(packet, segments, out noRoom);
            }
            return CopyCompletingChecksum(packet, offload, segments, out noRoom);
        }
        if (gsoType == GsoType.TcpV6)
        {
            return DropReason.NotIpv4;
        }
        if (gsoType is not (GsoType.TcpV4 or GsoType.UdpL4) || (ecn && gsoType != GsoType.TcpV4))
        {
            return packet.Length > 0 && packet[0] >> 4 != 4 ? DropReason.NotIpv4 : DropReason.BadOffload;
        }

        DropReason reason = PacketValidator.Validate(packet, out int packetLength);
        if (reason != DropReason.None)
        {
            return reason;
        }
        packet = packet[..packetLength];
        int packetOffset = slot * superpackets.SlotSize;
        return gsoType == GsoType.TcpV4
            ? SplitTcp(packet, packetOffset, offload.GsoSize, ecn, segments, out noRoom)
            : SplitUdp(packet, packetOffset, offload.GsoSize, segments, out noRoom);
    }

    private static DropReason CopyPlain(ReadOnlySpan<byte> packet, PacketBatch segments, out bool noRoom)
    {
        if (packet.Length > segments.SlotSize)
        {
            noRoom = false;
            return DropReason.BadOffload;
        }
        if (!TryReserve(segments, 1, out noRoom))
        {
            return noRoom ? DropReason.None : DropReason.BadOffload;
        }
        int index = segments.Count++;
        packet.CopyTo(segments.Slot(index));
        segments.Length(index) = packet.Length;
        segments.Tail(index) = default;
        segments.Offload(index) = OffloadInfo.None;
        return DropReason.None;
    }

    /// <summary>
    /// The kernel left a CHECKSUM_PARTIAL packet: the field at ChecksumStart + ChecksumOffset holds the pseudo-header
    /// sum, and the sum from ChecksumStart to the end is still to be added and complemented.
    /// </summary>
    private static DropReason CopyCompletingChecksum(ReadOnlySpan<byte> packet, OffloadInfo offload, PacketBatch segments, out bool noRoom)
    {
        noRoom = false;
        DropReason reason = PacketValidator.Validate(packet, out int packetLength);
        if (reason != DropReason.None)
        {
            return reason;
        }
        packet = packet[..packetLength];
        int start = offload.ChecksumStart;
        int field = start + offload.ChecksumOffset;
        if (start < (packet[0] & 0x0F) * 4 || field + 2 > packet.Length)
        {
            return DropReason.BadOffload;
        }
        reason = CopyPlain(packet, segments, out noRoom);
        if (reason != DropReason.None || noRoom)
        {
            return reason;
        }
        Span<byte> copy = segments.Packet(segments.Count - 1);
        ushort seed = BinaryPrimitives.ReadUInt16BigEndian(copy[field..]);
        copy[field] = 0;
        copy[field + 1] = 0;
        ushort checksum = (ushort)~InternetChecksum.Add(InternetChecksum.Sum(copy[start..]), seed);
        // Like the kernel's skb_checksum_help: a computed 0 goes out as 0xFFFF, since 0 means "none" to UDP.
        BinaryPrimitives.WriteUInt16BigEndian(copy[field..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return DropReason.None;
    }

    /// <summary>
    /// True when <paramref name="needed"/> slots are free. Otherwise <paramref name="noRoom"/> says whether an
    /// emptier batch could take them (stop and come back) or not even an empty one could (drop).
    /// </summary>
    private static bool TryReserve(PacketBatch segments, int needed, out bool noRoom)
    {
        if (needed <= segments.Capacity - segments.Count)
        {
            noRoom = false;
            return true;
        }
        noRoom = needed <= segments.Capacity;
        return false;
    }
}
