using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Buffers;

/// <summary>
/// A fixed number of packet slots carved out of one pinned slab, plus each slot's length and endpoint.
/// Allocated once per reactor at start; the slab never moves, so the Linux layer may build its
/// iovec/mmsghdr arrays against slot addresses once and reuse them for every batch.
/// </summary>
/// <remarks>
/// Conventions shared by every reader and writer of a batch:
/// <list type="bullet">
/// <item><c>Count</c> slots, <c>0..Count-1</c>, are in use after a read.</item>
/// <item>A slot whose length is 0 is a dropped packet: senders and writers skip it. A forwarder drops a packet
/// in place by setting its length to 0, so nothing is copied to compact the batch.</item>
/// <item><c>Endpoint(i)</c> is the destination on the send side and the source on the receive side.</item>
/// <item><c>Length(i)</c> is the whole packet's length. Usually the packet is all in its slot; a segment cut from a
/// superpacket keeps only its headers there and continues in <c>Tail(i)</c>, a slice of <see cref="TailSource"/>.
/// Headers are always in the slot, so everything that reads or rewrites them works on the slot alone; whoever needs
/// the payload gathers (<see cref="CopyPacket"/>, or iovecs for the slot and the tail).</item>
/// </list>
/// Not thread-safe: a batch belongs to one reactor thread.
/// </remarks>
public sealed class PacketBatch
{
    private readonly byte[] _slab;
    private readonly int[] _lengths;
    private readonly PeerEndpoint[] _endpoints;
    private readonly OffloadInfo[] _offloads;
    private readonly int[] _outcomes;
    private readonly int[] _peers;
    private readonly PacketTail[] _tails;
    private int _count;

    public PacketBatch(int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 64);
        Capacity = capacity;
        SlotSize = slotSize;
        _slab = GC.AllocateArray<byte>(checked(capacity * slotSize), pinned: true);
        _lengths = new int[capacity];
        _endpoints = new PeerEndpoint[capacity];
        _offloads = new OffloadInfo[capacity];
        _outcomes = new int[capacity];
        _peers = new int[capacity];
        _tails = new PacketTail[capacity];
    }

    public int Capacity { get; }

    /// <summary>Bytes available in each slot: the largest packet the batch can hold.</summary>
    public int SlotSize { get; }

    /// <summary>Slots in use, from 0. Set by whoever fills the batch; never more than <see cref="Capacity"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or above <see cref="Capacity"/>.</exception>
    public int Count
    {
        get => _count;
        set
        {
            if ((uint)value > (uint)Capacity)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"a batch of {Capacity} slots cannot hold {value} packets");
            }
            _count = value;
        }
    }

    /// <summary>The pinned slab. Slot <c>i</c> starts at <c>i * SlotSize</c>.</summary>
    public byte[] Slab => _slab;

    public Span<byte> Slot(int index) => _slab.AsSpan(index * SlotSize, SlotSize);

    public Span<byte> Packet(int index) => _slab.AsSpan(index * SlotSize, _lengths[index]);

    public ref int Length(int index) => ref _lengths[index];

    public ref PeerEndpoint Endpoint(int index) => ref _endpoints[index];

    /// <summary>
    /// Segmentation and checksum metadata of slot <paramref name="index"/>. Only TUN queues opened with offloads read
    /// or write it; everywhere else it stays all-zero (a complete packet).
    /// </summary>
    public ref OffloadInfo Offload(int index) => ref _offloads[index];

    /// <summary>
    /// What the last send or write did with slot <paramref name="index"/>: <see cref="SlotOutcome.Done"/> or the errno
    /// it was refused with. Set by the I/O layer for every non-empty slot it was handed; meaningless for empty slots.
    /// </summary>
    public ref int Outcome(int index) => ref _outcomes[index];

    /// <summary>
    /// The route table's index of the peer slot <paramref name="index"/> goes to (or came from), -1 for none: set by
    /// the processors, so that per-peer counts are added from the send's outcome, not before it.
    /// </summary>
    public ref int Peer(int index) => ref _peers[index];

    /// <summary>
    /// Where slot <paramref name="index"/>'s packet continues in <see cref="TailSource"/>; all-zero (the default, and
    /// what every source other than the superpacket segmenter leaves) when it is all in the slot. Whoever fills a slot
    /// with a tail sets it; whoever fills it without one resets it.
    /// </summary>
    public ref PacketTail Tail(int index) => ref _tails[index];

    /// <summary>
    /// The pinned slab the tails point into (another batch's <see cref="Slab"/>, which must outlive their use), or null
    /// while no slot has a tail.
    /// </summary>
    public byte[]? TailSource { get; set; }

    /// <summary>Bytes of slot <paramref name="index"/>'s packet that are in the slot itself.</summary>
    public int HeadLength(int index) => _lengths[index] - _tails[index].Length;

    /// <summary>The part of slot <paramref name="index"/>'s packet outside the slot; empty when it has none.</summary>
    public ReadOnlySpan<byte> TailBytes(int index)
    {
        PacketTail tail = _tails[index];
        return tail.Length == 0 ? default : TailSource.AsSpan(tail.Offset, tail.Length);
    }

    /// <summary>
    /// Copies slot <paramref name="index"/>'s whole packet, slot part then tail, to the start of
    /// <paramref name="destination"/> (as much as fits) and returns the bytes copied.
    /// </summary>
    public int CopyPacket(int index, Span<byte> destination)
    {
        int head = Math.Clamp(HeadLength(index), 0, SlotSize);
        ReadOnlySpan<byte> slotPart = _slab.AsSpan(index * SlotSize, Math.Min(head, destination.Length));
        slotPart.CopyTo(destination);
        ReadOnlySpan<byte> tail = TailBytes(index);
        int tailCopied = Math.Min(tail.Length, destination.Length - slotPart.Length);
        tail[..tailCopied].CopyTo(destination[slotPart.Length..]);
        return slotPart.Length + tailCopied;
    }

    /// <summary>Lengths of all slots; entries past <see cref="Count"/> are stale.</summary>
    public Span<int> Lengths => _lengths;

    public Span<PeerEndpoint> Endpoints => _endpoints;

    public Span<OffloadInfo> Offloads => _offloads;

    public Span<int> Outcomes => _outcomes;

    public Span<int> Peers => _peers;

    public Span<PacketTail> Tails => _tails;

    public void Clear() => Count = 0;
}
