namespace Overlay.DataPlane.Buffers;

/// <summary>
/// Packets to be written that are made of pieces of one source <see cref="PacketBatch"/>, so that merging packets
/// costs no copy: each packet is a head slot (its whole packet, headers included, as it stands in the source)
/// followed by the payloads of later slots (each from the same offset, the merge's header length). A writer that
/// gathers (writev) sends each packet in one call straight from the source's slab.
/// </summary>
/// <remarks>
/// Filled by <see cref="Offload.GroCoalescer"/> from one received batch, and valid until that batch is reused. The
/// tails of one packet form a chain through the source slots, so several merges may grow side by side in any order.
/// Allocated once per forwarding thread; allocation-free after construction. Not thread-safe.
/// </remarks>
public sealed class GatheredPackets
{
    private const int End = -1;

    private readonly int[] _head;
    private readonly int[] _headLength;
    private readonly int[] _length;
    private readonly int[] _pieces;
    private readonly int[] _tailOffset;
    private readonly int[] _firstTail;
    private readonly int[] _lastTail;
    private readonly OffloadInfo[] _offloads;

    // Indexed by source slot: the next tail of the same packet, or End.
    private readonly int[] _nextTail;
    private readonly int[] _outcomes;

    /// <param name="capacity">The largest source batch capacity: at most that many packets, and as many pieces.</param>
    public GatheredPackets(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _head = new int[capacity];
        _headLength = new int[capacity];
        _length = new int[capacity];
        _pieces = new int[capacity];
        _tailOffset = new int[capacity];
        _firstTail = new int[capacity];
        _lastTail = new int[capacity];
        _offloads = new OffloadInfo[capacity];
        _nextTail = new int[capacity];
        _outcomes = new int[capacity];
    }

    public int Capacity => _head.Length;

    /// <summary>Packets <c>0..Count-1</c> are to be written.</summary>
    public int Count { get; private set; }

    /// <summary>The source slot whose packet starts packet <paramref name="packet"/>.</summary>
    public int HeadSlot(int packet) => _head[packet];

    /// <summary>How many bytes of the head slot the packet starts with.</summary>
    public int HeadLength(int packet) => _headLength[packet];

    /// <summary>The packet's total length: the head's bytes plus every tail's payload.</summary>
    public int Length(int packet) => _length[packet];

    /// <summary>The source packets the packet is made of: 1 for a packet written as it came.</summary>
    public int Pieces(int packet) => _pieces[packet];

    /// <summary>Where each tail's payload starts within its slot: the header length every merged packet shares.</summary>
    public int TailOffset(int packet) => _tailOffset[packet];

    /// <summary>The packet's first tail slot, or -1 when it has none.</summary>
    public int FirstTail(int packet) => _firstTail[packet];

    /// <summary>The tail slot after <paramref name="slot"/> in its packet, or -1 after the last.</summary>
    public int NextTail(int slot) => _nextTail[slot];

    /// <summary>Offload metadata for the packet's virtio-net header: <see cref="OffloadInfo.None"/> unless merged.</summary>
    public ref OffloadInfo Offload(int packet) => ref _offloads[packet];

    /// <summary>What the last write did with packet <paramref name="packet"/>: <see cref="SlotOutcome.Done"/> or its errno.</summary>
    public ref int Outcome(int packet) => ref _outcomes[packet];

    public void Clear() => Count = 0;

    /// <summary>Starts a packet with the first <paramref name="length"/> bytes of source slot <paramref name="slot"/>.</summary>
    public int Add(int slot, int length)
    {
        int packet = Count++;
        _head[packet] = slot;
        _headLength[packet] = length;
        _length[packet] = length;
        _pieces[packet] = 1;
        _tailOffset[packet] = 0;
        _firstTail[packet] = End;
        _lastTail[packet] = End;
        _offloads[packet] = OffloadInfo.None;
        return packet;
    }

    /// <summary>
    /// Appends source slot <paramref name="slot"/>'s packet from byte <paramref name="offset"/> on (its
    /// <paramref name="length"/> bytes of payload) to the packet. Every tail of a packet starts at the same offset,
    /// and a writer takes each tail's length from the source's slot length.
    /// </summary>
    public void AddTail(int packet, int slot, int offset, int length)
    {
        if (_lastTail[packet] == End)
        {
            _firstTail[packet] = slot;
            _tailOffset[packet] = offset;
        }
        else
        {
            _nextTail[_lastTail[packet]] = slot;
        }
        _nextTail[slot] = End;
        _lastTail[packet] = slot;
        _length[packet] += length;
        _pieces[packet]++;
    }

    /// <summary>
    /// Copies the packet's bytes, contiguous, into <paramref name="destination"/> and returns their length: for
    /// writers that cannot gather.
    /// </summary>
    public int CopyTo(PacketBatch source, int packet, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        int headLength = _headLength[packet];
        int offset = _tailOffset[packet];
        source.Slot(_head[packet])[..headLength].CopyTo(destination);
        int written = headLength;
        for (int tail = _firstTail[packet]; tail != End; tail = _nextTail[tail])
        {
            ReadOnlySpan<byte> payload = source.Packet(tail)[offset..];
            payload.CopyTo(destination[written..]);
            written += payload.Length;
        }
        return written;
    }
}
