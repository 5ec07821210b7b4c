using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>
/// The receive direction of a <see cref="UdpBatchSocket"/>, in one of two modes fixed at construction.
/// Direct: recvmmsg writes each datagram straight into a caller slot (iovecs point into the batch's pinned slab).
/// Coalesced (UDP_GRO): recvmmsg fills the receiver's own 64 KiB slots, each message possibly holding many datagrams
/// of the size its UDP_GRO cmsg names; they are copied out one per caller slot, and what does not fit stays pending
/// for the next call, which delivers it before any new syscall. When a call starts with an empty batch of at least
/// 64 KiB, the first message goes straight into the batch instead: its datagrams of exactly one slot each (a bulk
/// flow at the TUN MTU) are then already where they belong, and shorter ones are moved up within the batch.
/// </summary>
/// <remarks>One receiving thread. Counters are published once per call and may be read from any thread.</remarks>
internal sealed unsafe class DatagramReceiver : IDisposable
{
    /// <summary>Own slot size in coalesced mode: a GRO message holds at most 65,535 bytes of payload.</summary>
    public const int CoalescedSlotBytes = 65536;

    private const int MaxConsecutiveReceiveErrors = 1000;

    // Marks a message the kernel cut (MSG_TRUNC): delivered as one slot of length 0.
    private const int TruncatedMessage = -1;

    private readonly int _fd;
    private readonly ShutdownSignal _shutdown;
    private readonly MessageVector _messages;
    private byte* _coalescedSlab;

    // Direct mode: the slab and slot size the iovecs currently point at.
    private byte* _preparedSlab;
    private int _preparedSlotSize;
    private int _prepared;

    // Coalesced mode: messages [_pendingMessage, _pendingCount) and the offset reached in the first of them.
    private readonly int[] _messageLength;
    private readonly int[] _segmentSize;
    private int _pendingCount;
    private int _pendingMessage;
    private int _pendingOffset;

    // Set when the last recvmmsg returned fewer messages than asked for: the queue was empty then, so the next call
    // polls first instead of paying for a recvmmsg that would only say EAGAIN.
    private bool _knownEmpty;

    private int _faultErrno;
    private long _datagramsReceived;
    private long _bytesReceived;
    private long _truncated;
    private long _receiveErrors;
    private long _groMessages;
    private long _groSegments;
    private long _groMessagesInPlace;

    /// <param name="fd">The socket; not owned.</param>
    /// <param name="maxMessages">Most messages per recvmmsg.</param>
    /// <param name="coalesced">True when the socket has UDP_GRO on.</param>
    public DatagramReceiver(int fd, int maxMessages, ShutdownSignal shutdown, bool coalesced)
    {
        _fd = fd;
        _shutdown = shutdown;
        _messageLength = coalesced ? new int[maxMessages] : [];
        _segmentSize = coalesced ? new int[maxMessages] : [];
        _messages = new MessageVector(maxMessages, coalesced ? Cmsg.Space(sizeof(int)) : 0);
        if (coalesced)
        {
            _coalescedSlab = (byte*)NativeMemory.Alloc((nuint)maxMessages * CoalescedSlotBytes);
            for (int i = 0; i < maxMessages; i++)
            {
                _messages.Vectors[i].iov_base = _coalescedSlab + ((long)i * CoalescedSlotBytes);
                _messages.Vectors[i].iov_len = CoalescedSlotBytes;
            }
        }
    }

    public bool Coalesced => _coalescedSlab != null;

    public int MaxMessages => _messages.Capacity;

    public int FaultErrno => Volatile.Read(ref _faultErrno);

    public long DatagramsReceived => Volatile.Read(ref _datagramsReceived);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    public long TruncatedDatagrams => Volatile.Read(ref _truncated);

    public long ReceiveErrors => Volatile.Read(ref _receiveErrors);

    public long GroMessages => Volatile.Read(ref _groMessages);

    public long GroSegments => Volatile.Read(ref _groSegments);

    /// <summary>Messages received straight into the caller's batch and delivered from there.</summary>
    public long GroMessagesInPlace => Volatile.Read(ref _groMessagesInPlace);

    /// <summary>See <see cref="UdpBatchSocket.Receive"/>; the caller has checked shutdown and disposal.</summary>
    public bool Receive(PacketBatch batch)
    {
        batch.Count = 0;
        int filled = Coalesced ? DeliverPending(batch, 0) : 0;
        if (filled == batch.Capacity)
        {
            return true;
        }
        int consecutiveErrors = 0;

        while (true)
        {
            if (_knownEmpty)
            {
                if (filled > 0)
                {
                    // Pending datagrams went out first; with nothing more queued, do not block on top of them.
                    return true;
                }
                switch (ReadinessWait.Wait(_fd, LibC.POLLIN, _shutdown.Fd, -1, out int pollErrno))
                {
                    case Readiness.Shutdown:
                        return false;
                    case Readiness.Failed:
                        return Fault(pollErrno);
                }
                _knownEmpty = false;
            }
            int request = Coalesced ? Math.Min(MaxMessages, batch.Capacity - filled) : Math.Min(batch.Capacity, MaxMessages);
            // A whole batch can take any message: the first one is received into it, and needs no copy out.
            bool firstInPlace = Coalesced && filled == 0 && (long)batch.Capacity * batch.SlotSize >= CoalescedSlotBytes;
            if (Coalesced)
            {
                ResetCoalescedHeaders(request);
                _messages.Vectors[0].iov_base = firstInPlace
                    ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab))
                    : _coalescedSlab;
            }
            else
            {
                PrepareDirect(batch, request);
            }
            int received = Syscall.RecvMmsg(_fd, _messages.Messages, request, LibC.MSG_DONTWAIT);
            _knownEmpty = received < request;
            if (received > 0)
            {
                if (!Coalesced)
                {
                    CompleteDirect(batch, received);
                    return true;
                }
                ParseCoalesced(received);
                if (firstInPlace)
                {
                    filled = DeliverFirstInPlace(batch);
                }
                DeliverPending(batch, filled);
                return true;
            }
            int errno = received == 0 ? LibC.EAGAIN : -received;
            if (errno != LibC.EAGAIN)
            {
                Interlocked.Increment(ref _receiveErrors);
                if (filled == 0 && (UdpBatchSocket.IsFatalSocketError(errno) || ++consecutiveErrors >= MaxConsecutiveReceiveErrors))
                {
                    return Fault(errno);
                }
            }
        }
    }

    public void Dispose()
    {
        _messages.Dispose();
        if (_coalescedSlab != null)
        {
            NativeMemory.Free(_coalescedSlab);
            _coalescedSlab = null;
        }
    }

    private void PrepareDirect(PacketBatch batch, int capacity)
    {
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        if (slab == _preparedSlab && batch.SlotSize == _preparedSlotSize && capacity <= _prepared)
        {
            return;
        }
        int slotSize = batch.SlotSize;
        for (int i = 0; i < capacity; i++)
        {
            _messages.Vectors[i].iov_base = slab + ((long)i * slotSize);
            _messages.Vectors[i].iov_len = slotSize;
        }
        _preparedSlab = slab;
        _preparedSlotSize = slotSize;
        _prepared = capacity;
    }

    private void CompleteDirect(PacketBatch batch, int received)
    {
        Span<int> lengths = batch.Lengths;
        Span<PeerEndpoint> endpoints = batch.Endpoints;
        long bytes = 0;
        int truncated = 0;
        for (int i = 0; i < received; i++)
        {
            msghdr* header = _messages.Header(i);
            int length = (int)_messages.Messages[i].msg_len;
            if ((header->msg_flags & LibC.MSG_TRUNC) != 0)
            {
                length = 0;
                truncated++;
            }
            lengths[i] = length;
            bytes += length;
            endpoints[i] = Source(i);
            // recvmmsg writes the actual address length back; restore the buffer size for the next call.
            header->msg_namelen = (uint)sizeof(sockaddr_in);
        }
        batch.Count = received;
        Publish(received - truncated, bytes, truncated);
    }

    /// <summary>recvmmsg writes the used name and control lengths back into each header; give them their full room again.</summary>
    private void ResetCoalescedHeaders(int count)
    {
        for (int i = 0; i < count; i++)
        {
            msghdr* header = _messages.Header(i);
            header->msg_namelen = (uint)sizeof(sockaddr_in);
            header->msg_controllen = _messages.ControlBytes;
        }
    }

    /// <summary>Reads each message's length and GRO segment size (its own length when it carries no UDP_GRO cmsg).</summary>
    private void ParseCoalesced(int received)
    {
        int groMessages = 0;
        int groSegments = 0;
        for (int m = 0; m < received; m++)
        {
            msghdr* header = _messages.Header(m);
            int length = (int)_messages.Messages[m].msg_len;
            if ((header->msg_flags & LibC.MSG_TRUNC) != 0)
            {
                _messageLength[m] = TruncatedMessage;
                continue;
            }
            int segmentSize = 0;
            byte* control = (byte*)header->msg_control;
            ulong controlLength = header->msg_controllen;
            for (cmsghdr* c = Cmsg.First(control, controlLength); c != null; c = Cmsg.Next(control, controlLength, c))
            {
                if (c->cmsg_level == Libc.SOL_UDP && c->cmsg_type == Libc.UDP_GRO && Cmsg.DataLength(c) >= sizeof(int))
                {
                    segmentSize = *(int*)Cmsg.Data(c);
                }
            }
            if (segmentSize > 0)
            {
                groMessages++;
                groSegments += length == 0 ? 1 : (length + segmentSize - 1) / segmentSize;
            }
            _messageLength[m] = length;
            _segmentSize[m] = segmentSize > 0 && segmentSize < length ? segmentSize : Math.Max(length, 1);
        }
        _pendingCount = received;
        _pendingMessage = 0;
        _pendingOffset = 0;
        if (groMessages > 0)
        {
            Interlocked.Add(ref _groMessages, groMessages);
            Interlocked.Add(ref _groSegments, groSegments);
        }
    }

    /// <summary>
    /// Delivers message 0, which recvmmsg wrote to the start of the batch's slab, as datagrams in slots 0.., moving
    /// each up to its slot start when they are shorter than a slot (from the last, so none is overwritten before it
    /// moved). A message the batch cannot hold that way (more datagrams than slots, or datagrams longer than a slot)
    /// is copied to the receiver's own first slot and left pending for <see cref="DeliverPending"/>, as are truncated
    /// ones. Returns the slots filled.
    /// </summary>
    private int DeliverFirstInPlace(PacketBatch batch)
    {
        int total = _messageLength[0];
        if (total == TruncatedMessage)
        {
            return 0;
        }
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        int segmentSize = _segmentSize[0];
        int datagrams = total == 0 ? 1 : (total + segmentSize - 1) / segmentSize;
        if (datagrams > batch.Capacity || segmentSize > slotSize)
        {
            Buffer.MemoryCopy(slab, _coalescedSlab, CoalescedSlotBytes, total);
            return 0;
        }
        Span<int> lengths = batch.Lengths;
        Span<PeerEndpoint> endpoints = batch.Endpoints;
        PeerEndpoint source = Source(0);
        for (int i = datagrams - 1; i >= 0; i--)
        {
            int offset = i * segmentSize;
            int length = Math.Min(segmentSize, total - offset);
            if (segmentSize != slotSize && i > 0)
            {
                // Overlapping ranges are copied as if through a buffer.
                Buffer.MemoryCopy(slab + offset, slab + ((long)i * slotSize), slotSize, length);
            }
            lengths[i] = length;
            endpoints[i] = source;
        }
        NextMessage();
        Interlocked.Increment(ref _groMessagesInPlace);
        Publish(datagrams, total, 0);
        return datagrams;
    }

    /// <summary>
    /// Copies pending datagrams into slots <paramref name="filled"/>.. of the batch, one per slot, until either runs
    /// out. A datagram longer than a slot takes a slot with length 0 and is counted as truncated. Sets
    /// <c>batch.Count</c> and returns it.
    /// </summary>
    private int DeliverPending(PacketBatch batch, int filled)
    {
        int capacity = batch.Capacity;
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        Span<int> lengths = batch.Lengths;
        Span<PeerEndpoint> endpoints = batch.Endpoints;
        int datagrams = 0;
        int truncated = 0;
        long bytes = 0;

        while (_pendingMessage < _pendingCount && filled < capacity)
        {
            int m = _pendingMessage;
            int total = _messageLength[m];
            PeerEndpoint source = Source(m);
            if (total == TruncatedMessage)
            {
                lengths[filled] = 0;
                endpoints[filled++] = source;
                truncated++;
                NextMessage();
                continue;
            }
            byte* message = _coalescedSlab + ((long)m * CoalescedSlotBytes);
            int segmentSize = _segmentSize[m];
            // do/while: an empty datagram still takes a slot (of length 0), as in direct mode.
            do
            {
                int length = Math.Min(segmentSize, total - _pendingOffset);
                if (length > slotSize)
                {
                    lengths[filled] = 0;
                    truncated++;
                }
                else
                {
                    Buffer.MemoryCopy(message + _pendingOffset, slab + ((long)filled * slotSize), slotSize, length);
                    lengths[filled] = length;
                    bytes += length;
                    datagrams++;
                }
                endpoints[filled++] = source;
                _pendingOffset += length;
            }
            while (_pendingOffset < total && filled < capacity);
            if (_pendingOffset >= total)
            {
                NextMessage();
            }
        }
        batch.Count = filled;
        Publish(datagrams, bytes, truncated);
        return filled;
    }

    private void NextMessage()
    {
        _pendingMessage++;
        _pendingOffset = 0;
    }

    private PeerEndpoint Source(int message)
    {
        sockaddr_in* name = &_messages.Names[message];
        return new PeerEndpoint(SockaddrIn.Address(name), SockaddrIn.Port(name));
    }

    private void Publish(int datagrams, long bytes, int truncated)
    {
        if (datagrams > 0)
        {
            Interlocked.Add(ref _datagramsReceived, datagrams);
            Interlocked.Add(ref _bytesReceived, bytes);
        }
        if (truncated > 0)
        {
            Interlocked.Add(ref _truncated, truncated);
        }
    }

    private bool Fault(int errno)
    {
        Volatile.Write(ref _faultErrno, errno);
        return false;
    }
}
