using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Tun;

/// <summary>
/// Writes into one TUN queue for one thread. With offloads each write is writev of [virtio_net_hdr built from the
/// packet's OffloadInfo][packet pieces]; the header and the vectors live in this writer's own native scratch, so two
/// threads writing the same queue (ICMP replies from the outbound thread, merges from the inbound thread) never share
/// them. The first thread that writes owns the writer; any other thread is refused.
/// </summary>
/// <remarks>Created by <see cref="TunQueue.CreateWriter"/>; freed with its queue, after the threads have returned.</remarks>
public sealed unsafe class TunWriter : ITunWriter
{
    private const int WriteRetryWaitMilliseconds = 10;

    // A gathered write: the vnet header, the head, and one vector per further packet of the largest merge.
    private const int GatherVectors = 1 + (GroCoalescer.MaxTcpSegments > GroCoalescer.MaxUdpSegments
        ? GroCoalescer.MaxTcpSegments
        : GroCoalescer.MaxUdpSegments);

    private readonly TunQueue _queue;
    private readonly int _fd;
    private readonly bool _vnetHeader;

    // [iovec x2 single write][iovec x GatherVectors gathered write][hdr].
    private byte* _scratch;
    private readonly iovec* _writeVectors;
    private readonly iovec* _gatherVectors;
    private readonly virtio_net_hdr* _header;
    private int _ownerThread;

    internal TunWriter(TunQueue queue)
    {
        _queue = queue;
        _fd = queue.Fd;
        _vnetHeader = queue.HasVnetHeader;
        int vectorsBytes = 2 * sizeof(iovec);
        int gatherBytes = GatherVectors * sizeof(iovec);
        _scratch = (byte*)NativeMemory.AllocZeroed((nuint)(vectorsBytes + gatherBytes + sizeof(virtio_net_hdr)));
        _writeVectors = (iovec*)_scratch;
        _gatherVectors = (iovec*)(_scratch + vectorsBytes);
        _header = (virtio_net_hdr*)(_scratch + vectorsBytes + gatherBytes);
        _writeVectors[0].iov_base = _header;
        _writeVectors[0].iov_len = sizeof(virtio_net_hdr);
        _gatherVectors[0].iov_base = _header;
        _gatherVectors[0].iov_len = sizeof(virtio_net_hdr);
    }

    /// <summary>For tests: runs after a packet's vnet header is built and before its write, to force interleavings.</summary>
    internal Action? AfterHeaderBuilt { get; set; }

    /// <summary>
    /// Writes each non-empty slot of <c>0..batch.Count-1</c> with its own write() (writev with the slot's vnet header
    /// when offloads are on; without them <see cref="PacketBatch.Offload"/> is ignored). On EAGAIN it waits up to
    /// 10 ms for POLLOUT and retries once; a packet still refused is counted in the queue's write failures and
    /// dropped. Each non-empty slot's <see cref="PacketBatch.Outcome"/> says which. Returns the number of packets written.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another thread already writes with this writer.</exception>
    public int Write(PacketBatch batch)
    {
        EnsureOwner();
        int count = batch.Count;
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        ReadOnlySpan<int> lengths = batch.Lengths;
        ReadOnlySpan<OffloadInfo> offloads = batch.Offloads;
        Span<int> outcomes = batch.Outcomes;
        var totals = new WriteTotals();

        for (int i = 0; i < count; i++)
        {
            int length = lengths[i];
            if (length == 0)
            {
                continue;
            }
            if ((uint)length > (uint)slotSize || batch.Tail(i).Length != 0)
            {
                // Packets written here are whole in their slots (ICMP replies); a segment with a tail goes to UDP only.
                outcomes[i] = totals.Refused(LibC.EINVAL);
                continue;
            }
            byte* packet = slab + ((long)i * slotSize);
            long expected = length;
            if (_vnetHeader)
            {
                VnetHeader.Write(in offloads[i], _header);
                _writeVectors[1].iov_base = packet;
                _writeVectors[1].iov_len = length;
                expected += sizeof(virtio_net_hdr);
                AfterHeaderBuilt?.Invoke();
            }
            long result = WriteOne(packet, length);
            if (result == -LibC.EAGAIN && WaitWritable())
            {
                result = WriteOne(packet, length);
            }
            outcomes[i] = totals.Add(result, expected, length);
        }

        _queue.PublishWrites(totals.Written, totals.Bytes, totals.Failures, totals.LastErrno);
        return totals.Written;
    }

    /// <summary>
    /// Writes each packet of <paramref name="packets"/> with one writev straight from <paramref name="source"/>'s
    /// slab: [vnet header][head][each tail's payload], so a merge of many packets costs one call and no copy. Without
    /// offloads the header is left out, and a packet of more than one piece is refused (a plain TUN takes no
    /// superpackets). Refusals, retries and counters as for <see cref="Write(PacketBatch)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another thread already writes with this writer.</exception>
    public int Write(PacketBatch source, GatheredPackets packets)
    {
        EnsureOwner();
        int count = packets.Count;
        int slotSize = source.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(source.Slab));
        var totals = new WriteTotals();

        for (int p = 0; p < count; p++)
        {
            int vectors = GatherPacket(source, packets, p, slab, slotSize);
            if (vectors < 0)
            {
                packets.Outcome(p) = totals.Refused(LibC.EINVAL);
                continue;
            }
            int length = packets.Length(p);
            long expected = length + (_vnetHeader ? sizeof(virtio_net_hdr) : 0);
            iovec* first = _vnetHeader ? _gatherVectors : _gatherVectors + 1;
            AfterHeaderBuilt?.Invoke();
            long result = Syscall.WriteV(_fd, first, vectors);
            if (result == -LibC.EAGAIN && WaitWritable())
            {
                result = Syscall.WriteV(_fd, first, vectors);
            }
            packets.Outcome(p) = totals.Add(result, expected, length);
        }

        _queue.PublishWrites(totals.Written, totals.Bytes, totals.Failures, totals.LastErrno);
        return totals.Written;
    }

    internal void Free()
    {
        NativeMemory.Free(_scratch);
        _scratch = null;
    }

    /// <summary>
    /// Binds the writer to the first thread that writes (loops are built on one thread and run on another) and
    /// refuses every other: a shared writer would share its header scratch.
    /// </summary>
    private void EnsureOwner()
    {
        int current = Environment.CurrentManagedThreadId;
        int owner = Interlocked.CompareExchange(ref _ownerThread, current, 0);
        if (owner != 0 && owner != current)
        {
            throw new InvalidOperationException(
                $"this writer of TUN queue {_queue.Index} belongs to thread {owner}; thread {current} must take its own from CreateWriter");
        }
    }

    /// <summary>
    /// Fills the gather vectors from index 1 with packet <paramref name="p"/>'s pieces, and the vnet header when
    /// offloads are on; returns how many vectors the write takes, or -1 for a packet that cannot be written (a piece
    /// outside its slot, more pieces than vectors, or a superpacket on a plain TUN).
    /// </summary>
    private int GatherPacket(PacketBatch source, GatheredPackets packets, int p, byte* slab, int slotSize)
    {
        int pieces = packets.Pieces(p);
        int headLength = packets.HeadLength(p);
        int head = packets.HeadSlot(p);
        if (pieces >= GatherVectors || (!_vnetHeader && pieces > 1) ||
            (uint)head >= (uint)source.Capacity || (uint)headLength > (uint)slotSize || packets.Length(p) <= 0)
        {
            return -1;
        }
        _gatherVectors[1].iov_base = slab + ((long)head * slotSize);
        _gatherVectors[1].iov_len = headLength;
        int offset = packets.TailOffset(p);
        int v = 2;
        long total = headLength;
        for (int tail = packets.FirstTail(p); tail >= 0; tail = packets.NextTail(tail))
        {
            int length = source.Length(tail) - offset;
            if ((uint)tail >= (uint)source.Capacity || length < 0 || offset + length > slotSize || v >= GatherVectors)
            {
                return -1;
            }
            _gatherVectors[v].iov_base = slab + ((long)tail * slotSize) + offset;
            _gatherVectors[v].iov_len = length;
            total += length;
            v++;
        }
        if (total != packets.Length(p))
        {
            return -1;
        }
        if (_vnetHeader)
        {
            VnetHeader.Write(in packets.Offload(p), _header);
            return v;
        }
        return v - 1;
    }

    /// <summary>After EAGAIN: waits up to 10 ms for room in the queue; true when one retry is worth making.</summary>
    private bool WaitWritable() =>
        ReadinessWait.Wait(_fd, LibC.POLLOUT, -1, WriteRetryWaitMilliseconds, out _) == Readiness.Ready;

    private long WriteOne(byte* packet, int length) =>
        _vnetHeader ? Syscall.WriteV(_fd, _writeVectors, 2) : Syscall.Write(_fd, packet, length);

    /// <summary>One batch's outcome, published to the queue's counters once.</summary>
    private struct WriteTotals
    {
        public int Written;
        public long Bytes;
        public int Failures;
        public int LastErrno;

        /// <summary>Counts one write's result and returns its outcome: done, or the errno (EIO for a short write).</summary>
        public int Add(long result, long expected, int length)
        {
            if (result == expected)
            {
                Written++;
                Bytes += length;
                return SlotOutcome.Done;
            }
            return Refused(result < 0 ? (int)-result : LibC.EIO);
        }

        public int Refused(int errno)
        {
            Failures++;
            LastErrno = errno;
            return errno;
        }
    }
}
