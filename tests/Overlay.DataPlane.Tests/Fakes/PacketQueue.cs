using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Tests.Fakes;

/// <summary>
/// A bounded FIFO of packets in one preallocated slab, shared by the in-memory TUN (plain and offload) and UDP fakes.
/// Each packet travels with an endpoint and an <see cref="OffloadInfo"/>, both all-zero unless the producer gives them,
/// and lands in the batch slot with both, so a slot never keeps metadata from an earlier batch. Enqueue and dequeue
/// copy bytes and allocate nothing. Thread-safe: any number of producers and consumers, one lock.
/// </summary>
internal sealed class PacketQueue
{
    private readonly object _gate = new();
    private readonly byte[] _slab;
    private readonly int[] _lengths;
    private readonly PeerEndpoint[] _endpoints;
    private readonly OffloadInfo[] _offloads;
    private readonly int _slotSize;
    private int _head;
    private int _count;
    private bool _completed;

    public PacketQueue(int capacity, int slotSize)
    {
        _slotSize = slotSize;
        _slab = new byte[capacity * slotSize];
        _lengths = new int[capacity];
        _endpoints = new PeerEndpoint[capacity];
        _offloads = new OffloadInfo[capacity];
    }

    public int Capacity => _lengths.Length;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Appends a copy of <paramref name="packet"/>; false when the queue is full, completed, or the packet exceeds a slot.</summary>
    public bool TryEnqueue(ReadOnlySpan<byte> packet, PeerEndpoint endpoint = default, OffloadInfo offload = default)
    {
        lock (_gate)
        {
            if (_completed || _count == _lengths.Length || packet.Length > _slotSize)
            {
                return false;
            }
            int tail = (_head + _count) % _lengths.Length;
            packet.CopyTo(_slab.AsSpan(tail * _slotSize, _slotSize));
            _lengths[tail] = packet.Length;
            _endpoints[tail] = endpoint;
            _offloads[tail] = offload;
            _count++;
            Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>
    /// Moves up to <c>batch.Capacity</c> packets into <paramref name="batch"/>, waiting up to <paramref name="wait"/> for
    /// the first. A packet longer than the batch's slots arrives with length 0, as a UDP socket reports an oversize
    /// datagram. Returns false once completed and drained; true with <c>Count</c> 0 when the wait ran out.
    /// </summary>
    public bool DequeueInto(PacketBatch batch, TimeSpan wait)
    {
        lock (_gate)
        {
            long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
            while (_count == 0 && !_completed)
            {
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    batch.Count = 0;
                    return true;
                }
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(remaining));
            }
            if (_count == 0)
            {
                batch.Count = 0;
                return false;
            }
            int moved = Math.Min(_count, batch.Capacity);
            for (int i = 0; i < moved; i++)
            {
                int length = _lengths[_head];
                if (length <= batch.SlotSize)
                {
                    _slab.AsSpan(_head * _slotSize, length).CopyTo(batch.Slot(i));
                    batch.Length(i) = length;
                }
                else
                {
                    batch.Length(i) = 0;
                }
                batch.Endpoint(i) = _endpoints[_head];
                batch.Offload(i) = _offloads[_head];
                _head = (_head + 1) % _lengths.Length;
                _count--;
            }
            batch.Count = moved;
            return true;
        }
    }

    /// <summary>Removes the oldest packet and returns a copy of it, or null when empty. Allocates: for assertions only.</summary>
    public byte[]? TryDequeue(out PeerEndpoint endpoint, out OffloadInfo offload)
    {
        lock (_gate)
        {
            endpoint = default;
            offload = default;
            if (_count == 0)
            {
                return null;
            }
            byte[] packet = _slab.AsSpan(_head * _slotSize, _lengths[_head]).ToArray();
            endpoint = _endpoints[_head];
            offload = _offloads[_head];
            _head = (_head + 1) % _lengths.Length;
            _count--;
            return packet;
        }
    }

    /// <summary>Drops everything queued without copying it out.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _head = 0;
            _count = 0;
        }
    }

    /// <summary>Refuses further packets and wakes waiting consumers; they drain what is left, then see the end.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }
}
