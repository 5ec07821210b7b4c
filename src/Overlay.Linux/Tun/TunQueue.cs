using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Tun;

/// <summary>
/// One fd of a TUN device: a queue the kernel steers packets to (by flow hash when the device has several) and that
/// accepts writes. Without offloads every read and write is one bare IP packet. With offloads (IFF_VNET_HDR) each is
/// a <c>virtio_net_hdr</c> plus a packet of up to 64 KiB: reads use readv into [header scratch][slot] and fill
/// <see cref="PacketBatch.Offload"/>; writes go through a <see cref="TunWriter"/> per writing thread, which uses
/// writev from [header built from the slot's OffloadInfo][slot], so the slot holds the bare packet in both modes and
/// nothing is copied.
/// </summary>
/// <remarks>
/// Threading follows <see cref="ITunQueue"/>: one reader thread; each writing thread with its own writer (the
/// queue's own <c>Write</c> methods use one writer, bound to the first thread that calls them). Counters are this
/// queue's only, updated once per batch by the reader and the writers, readable from any thread. Dispose only after
/// the threads using the queue have returned.
/// </remarks>
public sealed unsafe class TunQueue : ITunQueue
{
    /// <summary>Smallest slot an offload read accepts: a superpacket may be as long as IPv4's total-length field allows.</summary>
    public const int OffloadSlotBytes = 65535;

    // A non-EAGAIN read error that poll keeps reporting as readable would otherwise spin forever.
    private const int MaxConsecutiveReadErrors = 1000;

    private readonly ShutdownSignal _shutdown;
    private readonly int _fd;
    private readonly bool _vnetHeader;

    // Native scratch for the reading thread's vectored reads, allocated once: [iovec x2][hdr]. Writers have their own.
    private byte* _scratch;
    private readonly iovec* _readVectors;
    private readonly virtio_net_hdr* _readHeader;
    private readonly List<TunWriter> _writers = [];
    private TunWriter? _ownWriter;

    // Read pacing, owned by the reading thread: whether the last drain saw the queue empty, and how many packets were
    // read since the last poll wake.
    private bool _knownEmpty;
    private int _readSinceWake;

    private int _disposed;
    private int _faultErrno;
    private int _lastWriteErrno;
    private long _packetsRead;
    private long _bytesRead;
    private long _readErrors;
    private long _packetsWritten;
    private long _bytesWritten;
    private long _writeFailures;

    internal TunQueue(int fd, int index, bool vnetHeader, ShutdownSignal shutdown)
    {
        _fd = fd;
        Index = index;
        _vnetHeader = vnetHeader;
        _shutdown = shutdown;
        int vectorsBytes = 2 * sizeof(iovec);
        _scratch = (byte*)NativeMemory.AllocZeroed((nuint)(vectorsBytes + sizeof(virtio_net_hdr)));
        _readVectors = (iovec*)_scratch;
        _readHeader = (virtio_net_hdr*)(_scratch + vectorsBytes);
        _readVectors[0].iov_base = _readHeader;
        _readVectors[0].iov_len = sizeof(virtio_net_hdr);
    }

    /// <summary>Position of this queue in <see cref="TunDevice.Queues"/>.</summary>
    public int Index { get; }

    /// <summary>The queue's fd; owned by the device and closed when it (or this queue) is disposed.</summary>
    public int Fd => _fd;

    /// <summary>True when packets carry virtio_net_hdr metadata (the device was opened with offloads).</summary>
    public bool HasVnetHeader => _vnetHeader;

    public long PacketsRead => Volatile.Read(ref _packetsRead);

    /// <summary>Packet bytes read, without vnet headers.</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>read() failures other than EAGAIN, and reads too short to hold a vnet header.</summary>
    public long ReadErrors => Volatile.Read(ref _readErrors);

    public long PacketsWritten => Volatile.Read(ref _packetsWritten);

    /// <summary>Packet bytes written, without vnet headers.</summary>
    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>Packets the kernel refused (or that did not fit their slot); each is dropped.</summary>
    public long WriteFailures => Volatile.Read(ref _writeFailures);

    /// <summary>errno of the most recent refused write, 0 if none; for diagnostics only.</summary>
    public int LastWriteErrno => Volatile.Read(ref _lastWriteErrno);

    /// <summary>
    /// Non-zero when <see cref="Read"/> returned false because the queue failed (e.g. EBADFD once the device was
    /// deleted), not because shutdown was signalled.
    /// </summary>
    public int FaultErrno => Volatile.Read(ref _faultErrno);

    /// <summary>Which call failed and why, for logs; null while the queue has not faulted.</summary>
    public string? FaultDescription => FaultErrno is int errno and not 0 ? $"TUN queue {Index}: read failed: {Errno.Describe(errno)}" : null;

    /// <summary>
    /// Drains up to <c>batch.Capacity</c> packets with non-blocking reads, blocking in poll only while nothing is
    /// ready; after a drain that found the queue empty it polls first, and under light traffic it returns the first
    /// packet after a wake on its own (each saves a syscall on the packet's way). Sets each slot's length and its
    /// <see cref="PacketBatch.Offload"/> (all-zero without offloads). Without offloads a packet longer than the slot
    /// is cut to fit by the kernel; with offloads slots must hold
    /// <see cref="OffloadSlotBytes"/>. Returns false once shutdown is signalled, or after a fatal error (see
    /// <see cref="FaultErrno"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Offloads are on and the batch's slots are smaller than <see cref="OffloadSlotBytes"/>.</exception>
    public bool Read(PacketBatch batch)
    {
        batch.Count = 0;
        if (_vnetHeader && batch.SlotSize < OffloadSlotBytes)
        {
            throw new ArgumentException(
                $"TUN queue {Index} has offloads on and may read superpackets of up to {OffloadSlotBytes} bytes, but the batch's slots hold {batch.SlotSize}",
                nameof(batch));
        }
        if (_shutdown.IsSignalled || Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }
        int consecutiveErrors = 0;
        int limit = batch.Capacity;

        while (true)
        {
            if (!_knownEmpty)
            {
                int errno = Drain(batch, limit);
                bool failed = errno != 0 && errno != LibC.EAGAIN;
                if (failed)
                {
                    Interlocked.Increment(ref _readErrors);
                }
                // A drain that stopped short of its limit has seen the queue empty: poll next instead of paying for
                // one more read that would only say EAGAIN again.
                _knownEmpty = batch.Count < limit;
                // Only "at most one" matters, so the count saturates instead of wrapping on a queue that never idles.
                _readSinceWake = Math.Min(_readSinceWake + batch.Count, 2);
                if (batch.Count > 0)
                {
                    return true;
                }
                if (failed && (IsFatalReadError(errno) || ++consecutiveErrors >= MaxConsecutiveReadErrors))
                {
                    return Fault(errno);
                }
            }

            // Light traffic (at most one packet since the last wake) is latency-bound: after this wake, hand over the
            // first packet at once and look for more after it has been sent. Heavier traffic drains a full batch.
            limit = _readSinceWake <= 1 ? 1 : batch.Capacity;
            _readSinceWake = 0;
            switch (ReadinessWait.Wait(_fd, LibC.POLLIN, _shutdown.Fd, -1, out int pollErrno))
            {
                case Readiness.Shutdown:
                    return false;
                case Readiness.Failed:
                    return Fault(pollErrno);
            }
            _knownEmpty = false;
        }
    }

    /// <summary>
    /// A writer with its own native scratch, for one thread. The outbound thread (ICMP replies) and the inbound
    /// thread (received packets and merges) each take one, so their vnet headers can never mix.
    /// </summary>
    public TunWriter CreateWriter()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var writer = new TunWriter(this);
        lock (_writers)
        {
            _writers.Add(writer);
        }
        return writer;
    }

    ITunWriter ITunQueue.CreateWriter() => CreateWriter();

    /// <summary>Writes through this queue's own writer, for callers that write from a single thread (tests, tools).</summary>
    public int Write(PacketBatch batch) => OwnWriter().Write(batch);

    /// <summary>Gathered writes through this queue's own writer; see <see cref="TunWriter.Write(PacketBatch, GatheredPackets)"/>.</summary>
    public int Write(PacketBatch source, GatheredPackets packets) => OwnWriter().Write(source, packets);

    /// <summary>Closes the fd (the last queue closed removes the non-persistent device) and frees the scratch.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Syscall.Close(_fd);
            NativeMemory.Free(_scratch);
            _scratch = null;
            lock (_writers)
            {
                foreach (TunWriter writer in _writers)
                {
                    writer.Free();
                }
                _writers.Clear();
            }
        }
    }

    /// <summary>
    /// Reads packets into consecutive slots until the batch is full or a read fails; returns the errno that ended the
    /// drain (EAGAIN when empty). Plain: read() straight into the slot. Offloads: readv of [vnet header][slot], and
    /// the header becomes the slot's OffloadInfo.
    /// </summary>
    private int Drain(PacketBatch batch, int limit)
    {
        int capacity = Math.Min(limit, batch.Capacity);
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        Span<int> lengths = batch.Lengths;
        Span<OffloadInfo> offloads = batch.Offloads;
        int count = 0;
        int malformed = 0;
        long bytes = 0;
        int errno = 0;
        _readVectors[1].iov_len = slotSize;
        while (count < capacity)
        {
            byte* slot = slab + ((long)count * slotSize);
            long result = ReadOne(slot, slotSize);
            if (result < 0)
            {
                errno = (int)-result;
                break;
            }
            int length = (int)result;
            OffloadInfo offload = default;
            if (_vnetHeader)
            {
                if (result < sizeof(virtio_net_hdr))
                {
                    // The kernel always writes the whole header; anything shorter cannot be interpreted.
                    malformed++;
                    continue;
                }
                length -= sizeof(virtio_net_hdr);
                offload = VnetHeader.ToOffload(_readHeader);
            }
            lengths[count] = length;
            offloads[count] = offload;
            bytes += length;
            count++;
        }
        Publish(batch, count, bytes, malformed);
        return errno;
    }

    private void Publish(PacketBatch batch, int count, long bytes, int malformed)
    {
        batch.Count = count;
        if (count > 0)
        {
            Interlocked.Add(ref _packetsRead, count);
            Interlocked.Add(ref _bytesRead, bytes);
        }
        if (malformed > 0)
        {
            Interlocked.Add(ref _readErrors, malformed);
        }
    }

    private long ReadOne(byte* slot, int slotSize)
    {
        if (!_vnetHeader)
        {
            return Syscall.Read(_fd, slot, slotSize);
        }
        _readVectors[1].iov_base = slot;
        return Syscall.ReadV(_fd, _readVectors, 2);
    }

    internal void PublishWrites(int written, long bytes, int failures, int lastErrno)
    {
        if (written > 0)
        {
            Interlocked.Add(ref _packetsWritten, written);
            Interlocked.Add(ref _bytesWritten, bytes);
        }
        if (failures > 0)
        {
            Interlocked.Add(ref _writeFailures, failures);
            Volatile.Write(ref _lastWriteErrno, lastErrno);
        }
    }

    private TunWriter OwnWriter() => _ownWriter ??= CreateWriter();

    private bool Fault(int errno)
    {
        Volatile.Write(ref _faultErrno, errno);
        return false;
    }

    // EBADFD: the device was torn down under the fd; the others mean the fd or buffer is unusable, not "try later".
    private static bool IsFatalReadError(int errno) =>
        errno == LibC.EBADF || errno == LibC.EBADFD || errno == LibC.EFAULT || errno == LibC.EINVAL;
}
