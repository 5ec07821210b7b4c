using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>
/// The send direction of a <see cref="UdpBatchSocket"/>: turns a batch into sendmmsg entries whose iovecs point
/// straight into the batch's pinned slab, and for a packet with a tail (a segment whose payload stayed in its
/// superpacket) into the tail's slab as well: one iovec for the slot part, one for the tail, so no payload is copied
/// in userspace. With GSO, a run of consecutive datagrams to one endpoint with one length (the last may be shorter)
/// becomes a single entry with the iovecs of all its datagrams and a UDP_SEGMENT cmsg, which the kernel segments
/// after one trip through its stack (it cuts the gathered bytes at every segment size, wherever the iovecs end).
/// </summary>
/// <remarks>One sending thread. Counters are published once per call and may be read from any thread.</remarks>
internal sealed unsafe class DatagramSender : IDisposable
{
    private const int SendRetryWaitMilliseconds = 10;
    private const int MaxSendWaitsPerCall = 3;

    // A datagram is its slot part and, when it has one, its tail.
    private const int MaxVectorsPerDatagram = 2;

    private readonly int _fd;
    private readonly ShutdownSignal _shutdown;
    private readonly MessageVector _messages;
    private readonly int[] _entryFirstSlot;
    private readonly int[] _entrySegments;
    private readonly int[] _entryVectors;
    private readonly int[] _entryFirstDatagramVectors;
    private bool _gso;
    private volatile string? _gsoDisabledReason;
    private int _lastSendErrno;
    private long _datagramsSent;
    private long _bytesSent;
    private long _sendFailures;
    private long _gsoRuns;
    private long _gsoSegments;

    // The batch of the Send in progress, for MarkEntry; only the sending thread touches them.
    private PacketBatch? _batch;
    private byte* _slab;
    private byte* _slabEnd;
    private int _slotSize;

    /// <param name="fd">The socket; not owned.</param>
    /// <param name="maxDatagrams">Most datagrams (and entries) per sendmmsg.</param>
    /// <param name="gso">Whether the kernel accepted UDP_SEGMENT at setup.</param>
    /// <param name="gsoUnavailableReason">Why <paramref name="gso"/> is false, for <see cref="GsoDisabledReason"/>.</param>
    public DatagramSender(int fd, int maxDatagrams, ShutdownSignal shutdown, bool gso, string? gsoUnavailableReason)
    {
        _fd = fd;
        _shutdown = shutdown;
        _gso = gso;
        _gsoDisabledReason = gsoUnavailableReason;
        _messages = new MessageVector(maxDatagrams, gso ? Cmsg.Space(sizeof(ushort)) : 0, maxDatagrams * MaxVectorsPerDatagram);
        _entryFirstSlot = new int[maxDatagrams];
        _entrySegments = new int[maxDatagrams];
        _entryVectors = new int[maxDatagrams];
        _entryFirstDatagramVectors = new int[maxDatagrams];
        if (gso)
        {
            for (int i = 0; i < maxDatagrams; i++)
            {
                var control = (cmsghdr*)_messages.Control(i);
                control->cmsg_len = (uint)Cmsg.Len(sizeof(ushort));
                control->cmsg_level = Libc.SOL_UDP;
                control->cmsg_type = Libc.UDP_SEGMENT;
            }
        }
    }

    /// <summary>True while sends use UDP GSO; turns false for good when a run is refused that goes through without it.</summary>
    public bool GsoEnabled => Volatile.Read(ref _gso);

    public string? GsoDisabledReason => _gsoDisabledReason;

    /// <summary>Called once, on the sending thread, when GSO is turned off at run time; the argument is the reason.</summary>
    public event Action<string>? GsoDisabled;

    public long DatagramsSent => Volatile.Read(ref _datagramsSent);

    public long BytesSent => Volatile.Read(ref _bytesSent);

    public long SendFailures => Volatile.Read(ref _sendFailures);

    public int LastSendErrno => Volatile.Read(ref _lastSendErrno);

    public long GsoRuns => Volatile.Read(ref _gsoRuns);

    public long GsoSegments => Volatile.Read(ref _gsoSegments);

    /// <summary>See <see cref="UdpBatchSocket.Send"/>.</summary>
    public int Send(PacketBatch batch)
    {
        int count = batch.Count;
        var totals = new SendTotals();
        int next = 0;
        // Every packet starts as never handed over; each entry the kernel takes or refuses overwrites its slots.
        ReadOnlySpan<int> pending = batch.Lengths[..count];
        Span<int> outcomes = batch.Outcomes;
        for (int i = 0; i < count; i++)
        {
            outcomes[i] = pending[i] != 0 ? SlotOutcome.BufferFull : SlotOutcome.Done;
        }
        _batch = batch;
        _slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        _slabEnd = _slab + ((long)batch.Capacity * batch.SlotSize);
        _slotSize = batch.SlotSize;

        while (next < count && totals.Waits <= MaxSendWaitsPerCall)
        {
            int entries = BuildEntries(batch, count, ref next, ref totals);
            int resume = SendEntries(entries, ref totals);
            if (resume >= 0)
            {
                // GSO was just refused and the run's first datagram went alone: rebuild from the slot after it, now
                // one datagram per entry.
                next = resume;
            }
        }
        // Slots never handed to the kernel because the buffer stayed full are drops too.
        ReadOnlySpan<int> lengths = batch.Lengths;
        for (; next < count; next++)
        {
            if (lengths[next] != 0)
            {
                totals.Failures++;
            }
        }

        if (totals.Sent > 0)
        {
            Interlocked.Add(ref _datagramsSent, totals.Sent);
            Interlocked.Add(ref _bytesSent, totals.Bytes);
        }
        if (totals.GsoRuns > 0)
        {
            Interlocked.Add(ref _gsoRuns, totals.GsoRuns);
            Interlocked.Add(ref _gsoSegments, totals.GsoSegments);
        }
        if (totals.Failures > 0)
        {
            Interlocked.Add(ref _sendFailures, totals.Failures);
            Volatile.Write(ref _lastSendErrno, totals.LastErrno);
        }
        _batch = null;
        return totals.Sent;
    }

    public void Dispose() => _messages.Dispose();

    /// <summary>
    /// Fills entries from slot <paramref name="next"/> on until the entries or iovecs run out, advancing
    /// <paramref name="next"/> past every slot it used or skipped. Returns the number of entries.
    /// </summary>
    private int BuildEntries(PacketBatch batch, int count, ref int next, ref SendTotals totals)
    {
        byte* tails = TailBase(batch);
        ReadOnlySpan<int> lengths = batch.Lengths;
        ReadOnlySpan<PeerEndpoint> endpoints = batch.Endpoints;
        int capacity = _messages.Capacity;
        int vectorCapacity = _messages.VectorCapacity;
        int entries = 0;
        int vectors = 0;

        while (next < count && entries < capacity && vectors + MaxVectorsPerDatagram <= vectorCapacity)
        {
            int length = lengths[next];
            if (length == 0)
            {
                next++;
                continue;
            }
            if (!IsWellFormed(batch, next))
            {
                // A slot re-examined after a GSO fallback was already counted the first time round.
                if (next >= totals.ExaminedEnd)
                {
                    totals.Failures++;
                    totals.LastErrno = LibC.EMSGSIZE;
                }
                batch.Outcome(next) = SlotOutcome.Malformed;
                next++;
                continue;
            }

            int first = next;
            PeerEndpoint destination = endpoints[next];
            iovec* run = &_messages.Vectors[vectors];
            int firstVectors = Describe(batch, next, run, tails);
            int runVectors = firstVectors;
            int segments = 1;
            next++;
            if (_gso)
            {
                segments = ExtendRun(
                    batch, count, ref next, run, ref runVectors, tails, length, destination,
                    Math.Min(Libc.UDP_MAX_SEGMENTS, capacity), vectorCapacity - vectors);
            }

            msghdr* header = _messages.Header(entries);
            header->msg_iov = run;
            header->msg_iovlen = runVectors;
            SockaddrIn.Set(&_messages.Names[entries], destination.Address, destination.Port);
            if (segments > 1)
            {
                byte* control = _messages.Control(entries);
                *(ushort*)Cmsg.Data((cmsghdr*)control) = (ushort)length;
                header->msg_control = control;
                header->msg_controllen = _messages.ControlBytes;
            }
            else
            {
                header->msg_control = null;
                header->msg_controllen = 0;
            }
            _entryFirstSlot[entries] = first;
            _entrySegments[entries] = segments;
            _entryVectors[entries] = runVectors;
            _entryFirstDatagramVectors[entries] = firstVectors;
            entries++;
            vectors += runVectors;
        }
        totals.ExaminedEnd = Math.Max(totals.ExaminedEnd, next);
        return entries;
    }

    /// <summary>
    /// Appends following slots to the run that starts with a datagram of <paramref name="segmentSize"/> bytes: same
    /// endpoint, same length (one shorter datagram ends the run), empty slots skipped, at most
    /// <paramref name="maxSegments"/> datagrams, <paramref name="vectorBudget"/> iovecs and 65,507 payload bytes; a
    /// malformed slot ends the run (the next entry deals with it). Returns the datagrams in the run.
    /// </summary>
    private int ExtendRun(
        PacketBatch batch, int count, ref int next, iovec* run, ref int runVectors, byte* tails, int segmentSize,
        PeerEndpoint destination, int maxSegments, int vectorBudget)
    {
        ReadOnlySpan<int> lengths = batch.Lengths;
        ReadOnlySpan<PeerEndpoint> endpoints = batch.Endpoints;
        int segments = 1;
        int payload = segmentSize;
        while (next < count && segments < maxSegments && runVectors + MaxVectorsPerDatagram <= vectorBudget)
        {
            int length = lengths[next];
            if (length == 0)
            {
                next++;
                continue;
            }
            if (length > segmentSize || payload + length > Libc.UDP_MAX_IPV4_PAYLOAD || endpoints[next] != destination ||
                !IsWellFormed(batch, next))
            {
                break;
            }
            runVectors += Describe(batch, next, run + runVectors, tails);
            segments++;
            payload += length;
            next++;
            if (length < segmentSize)
            {
                break;
            }
        }
        return segments;
    }

    /// <summary>The pinned slab the batch's tails point into, or null when it has none.</summary>
    private static byte* TailBase(PacketBatch batch) =>
        batch.TailSource is { } source ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(source)) : null;

    /// <summary>The slot part fits the slot and the tail lies inside its source: what <see cref="Describe"/> relies on.</summary>
    private static bool IsWellFormed(PacketBatch batch, int slot)
    {
        PacketTail tail = batch.Tail(slot);
        int head = batch.Length(slot) - tail.Length;
        if ((uint)head > (uint)batch.SlotSize || tail.Length < 0)
        {
            return false;
        }
        return tail.Length == 0 ||
            (batch.TailSource is { } source && tail.Offset >= 0 && (long)tail.Offset + tail.Length <= source.Length);
    }

    /// <summary>Points iovecs at slot <paramref name="slot"/>'s packet: its slot part, then its tail if any. Returns the iovecs used.</summary>
    private int Describe(PacketBatch batch, int slot, iovec* at, byte* tails)
    {
        PacketTail tail = batch.Tail(slot);
        at[0].iov_base = _slab + ((long)slot * _slotSize);
        at[0].iov_len = batch.Length(slot) - tail.Length;
        if (tail.Length == 0)
        {
            return 1;
        }
        at[1].iov_base = tails + tail.Offset;
        at[1].iov_len = tail.Length;
        return 2;
    }

    /// <summary>
    /// Hands the entries to sendmmsg until all are sent, a wait for buffer space fails or the socket fails. Returns
    /// -1, or the slot to rebuild from when the kernel refused GSO but took the run's first datagram without it
    /// (GSO is then off for good).
    /// </summary>
    private int SendEntries(int entries, ref SendTotals totals)
    {
        int start = 0;
        while (start < entries)
        {
            int result = Syscall.SendMmsg(_fd, _messages.Messages + start, entries - start, 0);
            if (result > 0)
            {
                for (int i = start; i < start + result; i++)
                {
                    MarkEntry(i, SlotOutcome.Done);
                    int segments = _entrySegments[i];
                    totals.Bytes += _messages.Messages[i].msg_len;
                    totals.Sent += segments;
                    if (segments > 1)
                    {
                        totals.GsoRuns++;
                        totals.GsoSegments += segments;
                    }
                }
                start += result;
                continue;
            }
            int errno = result == 0 ? LibC.EAGAIN : -result;
            if (errno == LibC.EAGAIN)
            {
                if (++totals.Waits > MaxSendWaitsPerCall ||
                    ReadinessWait.Wait(_fd, LibC.POLLOUT, _shutdown.Fd, SendRetryWaitMilliseconds, out _) != Readiness.Ready)
                {
                    totals.Waits = MaxSendWaitsPerCall + 1;
                    totals.Failures += RemainingDatagrams(start, entries);
                    totals.LastErrno = LibC.EAGAIN;
                    return -1;
                    // Their slots keep the BufferFull outcome they started with.
                }
                continue;
            }
            if (_entrySegments[start] > 1 && IsGsoRefusal(errno))
            {
                // The same errno can be about the destination (EINVAL for port 0); sending the run's first datagram
                // alone, without the cmsg, tells which it is.
                msghdr* header = _messages.Header(start);
                header->msg_iovlen = _entryFirstDatagramVectors[start];
                header->msg_control = null;
                header->msg_controllen = 0;
                int single = Syscall.SendMmsg(_fd, _messages.Messages + start, 1, 0);
                if (single == 1)
                {
                    _batch!.Outcome(_entryFirstSlot[start]) = SlotOutcome.Done;
                    DisableGso(errno, start);
                    totals.Sent++;
                    totals.Bytes += _messages.Messages[start].msg_len;
                    return _entryFirstSlot[start] + 1;
                }
                errno = single < 0 ? -single : errno;
                header->msg_iovlen = _entryVectors[start];
            }
            totals.LastErrno = errno;
            if (UdpBatchSocket.IsFatalSocketError(errno))
            {
                totals.Failures += RemainingDatagrams(start, entries);
                for (int i = start; i < entries; i++)
                {
                    MarkEntry(i, errno);
                }
                return -1;
            }
            // sendmmsg reports an error only for the first unsent entry: that entry (all of its run) alone is refused.
            totals.Failures += _entrySegments[start];
            MarkEntry(start, errno);
            start++;
        }
        return -1;
    }

    /// <summary>
    /// Sets the outcome of every slot entry <paramref name="entry"/> carries: each iovec that points into the batch's
    /// slab starts a datagram's slot part (tails point elsewhere).
    /// </summary>
    private void MarkEntry(int entry, int outcome)
    {
        msghdr* header = _messages.Header(entry);
        iovec* vectors = header->msg_iov;
        for (int v = 0; v < (int)header->msg_iovlen; v++)
        {
            byte* at = (byte*)vectors[v].iov_base;
            if (at >= _slab && at < _slabEnd)
            {
                _batch!.Outcome((int)((at - _slab) / _slotSize)) = outcome;
            }
        }
    }

    private void DisableGso(int errno, int entry)
    {
        int segments = _entrySegments[entry];
        ushort segmentSize = *(ushort*)Cmsg.Data((cmsghdr*)_messages.Control(entry));
        Volatile.Write(ref _gso, false);
        _gsoDisabledReason =
            $"sendmmsg with UDP_SEGMENT ({segments} datagrams of {segmentSize} bytes) refused: {Errno.Describe(errno)}; sending one datagram per message from now on";
        GsoDisabled?.Invoke(_gsoDisabledReason);
    }

    private int RemainingDatagrams(int start, int entries)
    {
        int total = 0;
        for (int i = start; i < entries; i++)
        {
            total += _entrySegments[i];
        }
        return total;
    }

    // Errnos a send may fail with because of GSO itself: EIO, the device cannot checksum (a hard requirement of UDP
    // GSO); EMSGSIZE (EINVAL on older kernels), a segment above the route's MTU; EOPNOTSUPP (= ENOTSUP on Linux), no
    // GSO at all. Each can also be about the destination, which is why a plain resend decides.
    private static bool IsGsoRefusal(int errno) =>
        errno == LibC.EIO || errno == LibC.EINVAL || errno == LibC.EMSGSIZE || errno == LibC.EOPNOTSUPP;

    /// <summary>Running totals of one <see cref="Send"/> call, published to the counters once at the end.</summary>
    private struct SendTotals
    {
        public int Sent;
        public int Failures;
        public long Bytes;
        public int Waits;
        public int LastErrno;
        public int GsoRuns;
        public int GsoSegments;

        /// <summary>Slots before this index were already classified (sent, skipped or counted as failed).</summary>
        public int ExaminedEnd;
    }
}
