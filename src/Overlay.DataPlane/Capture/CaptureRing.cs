using System.Numerics;

namespace Overlay.DataPlane.Capture;

/// <summary>
/// A bounded multi-producer, single-consumer ring of packet copies, each cut to a fixed snap length. Every slot is
/// allocated in the constructor; writing never allocates, never blocks and never waits for the consumer: a full ring
/// refuses the packet and the caller counts it as skipped.
/// </summary>
/// <remarks>
/// The slot protocol is Dmitry Vyukov's bounded queue: each slot carries a sequence number that says whether it is
/// free for position <c>p</c> (<c>p</c>), filled for <c>p</c> (<c>p + 1</c>) or free for the next lap
/// (<c>p + capacity</c>). Producers claim a position with one compare-and-swap, so any number of forwarding threads
/// may call <see cref="TryWrite"/> at once. <see cref="TryPeek"/> and <see cref="Release"/> belong to one consumer
/// thread at a time.
/// </remarks>
public sealed class CaptureRing
{
    private readonly byte[] _data;
    private readonly Slot[] _slots;
    private readonly int _mask;
    private long _enqueuePosition;
    private long _dequeuePosition;

    /// <param name="capacity">Packets the ring holds; rounded up to a power of two.</param>
    /// <param name="snapLength">Most bytes kept of each packet; the rest is cut, as tcpdump's -s does.</param>
    public CaptureRing(int capacity, int snapLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 20);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 20);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, 65535);
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)capacity);
        Capacity = slots;
        SnapLength = snapLength;
        _mask = slots - 1;
        _data = new byte[checked(slots * snapLength)];
        _slots = new Slot[slots];
        for (int i = 0; i < slots; i++)
        {
            _slots[i].Sequence = i;
        }
    }

    public int Capacity { get; }

    public int SnapLength { get; }

    /// <summary>
    /// Copies up to <see cref="SnapLength"/> bytes of <paramref name="packet"/> into a free slot. Returns false, and
    /// copies nothing, when the ring is full. Thread-safe; allocation-free.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> packet, long utcTicks, CaptureDirection direction) =>
        TryWrite(packet, default, utcTicks, direction);

    /// <summary>
    /// As <see cref="TryWrite(ReadOnlySpan{byte}, long, CaptureDirection)"/> for a packet in two pieces: its slot part
    /// <paramref name="head"/>, then <paramref name="tail"/> (a segment whose payload stayed in its superpacket).
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> head, ReadOnlySpan<byte> tail, long utcTicks, CaptureDirection direction)
    {
        long position = Volatile.Read(ref _enqueuePosition);
        while (true)
        {
            long sequence = Volatile.Read(ref _slots[position & _mask].Sequence);
            long lead = sequence - position;
            if (lead == 0)
            {
                if (Interlocked.CompareExchange(ref _enqueuePosition, position + 1, position) == position)
                {
                    break;
                }
                position = Volatile.Read(ref _enqueuePosition);
            }
            else if (lead < 0)
            {
                return false;
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition);
            }
        }

        int index = (int)(position & _mask);
        int length = head.Length + tail.Length;
        int kept = Math.Min(length, SnapLength);
        Span<byte> destination = _data.AsSpan(index * SnapLength, kept);
        int keptHead = Math.Min(head.Length, kept);
        head[..keptHead].CopyTo(destination);
        tail[..(kept - keptHead)].CopyTo(destination[keptHead..]);
        ref Slot slot = ref _slots[index];
        slot.CapturedLength = kept;
        slot.Record = new CaptureRecord(utcTicks, direction, length);
        Volatile.Write(ref slot.Sequence, position + 1);
        return true;
    }

    /// <summary>
    /// The oldest packet not yet released, if one is complete. <paramref name="bytes"/> stays valid, and unchanged,
    /// until <see cref="Release"/>. Consumer thread only.
    /// </summary>
    public bool TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes)
    {
        long position = _dequeuePosition;
        int index = (int)(position & _mask);
        ref Slot slot = ref _slots[index];
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            record = default;
            bytes = default;
            return false;
        }
        record = slot.Record;
        bytes = _data.AsSpan(index * SnapLength, slot.CapturedLength);
        return true;
    }

    /// <summary>Frees the slot <see cref="TryPeek"/> returned last. Consumer thread only.</summary>
    public void Release()
    {
        long position = _dequeuePosition;
        ref Slot slot = ref _slots[position & _mask];
        if (Volatile.Read(ref slot.Sequence) != position + 1)
        {
            throw new InvalidOperationException("Release without a successful TryPeek");
        }
        Volatile.Write(ref slot.Sequence, position + Capacity);
        _dequeuePosition = position + 1;
    }

    /// <summary>Releases every complete packet (at most one lap) and returns how many. Consumer thread only.</summary>
    public int Discard()
    {
        int discarded = 0;
        while (discarded < Capacity && TryPeek(out _, out _))
        {
            Release();
            discarded++;
        }
        return discarded;
    }

    private struct Slot
    {
        public long Sequence;
        public int CapturedLength;
        public CaptureRecord Record;
    }
}
