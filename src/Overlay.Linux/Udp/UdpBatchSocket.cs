using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>
/// An AF_INET datagram socket bound to one interface address and port (as flannel binds, never 0.0.0.0), moving
/// whole batches with recvmmsg and sendmmsg. Every mmsghdr, iovec and sockaddr_in is preallocated in native memory
/// for <see cref="MaxBatch"/> entries per direction; iovecs point straight into the batch's pinned slab, so the steady
/// state neither copies in user space nor allocates.
/// </summary>
/// <remarks>
/// One thread receives and one thread sends; they may run concurrently (each direction has its own arrays).
/// Counters are updated once per call and may be read from any thread. Dispose only after both threads have returned
/// (signal the <see cref="ShutdownSignal"/>, join, then dispose): it frees the native arrays.
/// </remarks>
public sealed unsafe class UdpBatchSocket : IUdpBatchSocket
{
    private const int SendRetryWaitMilliseconds = 10;
    private const int MaxSendWaitsPerCall = 3;
    private const int MaxConsecutiveReceiveErrors = 1000;

    private readonly ShutdownSignal _shutdown;
    private readonly int _fd;
    private readonly MessageVector _receive;
    private readonly MessageVector _send;
    private byte* _receiveSlab;
    private int _receiveSlotSize;
    private int _receivePrepared;
    private int _disposed;
    private int _faultErrno;
    private int _lastSendErrno;
    private long _datagramsReceived;
    private long _bytesReceived;
    private long _truncated;
    private long _receiveErrors;
    private long _datagramsSent;
    private long _bytesSent;
    private long _sendFailures;

    private UdpBatchSocket(int fd, uint bindAddress, ushort localPort, int maxBatch, ShutdownSignal shutdown)
    {
        _fd = fd;
        BindAddress = bindAddress;
        LocalPort = localPort;
        MaxBatch = maxBatch;
        _shutdown = shutdown;
        _receive = new MessageVector(maxBatch);
        _send = new MessageVector(maxBatch);
    }

    /// <summary>The address the socket is bound to, host byte order.</summary>
    public uint BindAddress { get; }

    /// <summary>The bound port; the kernel's choice when 0 was asked for.</summary>
    public ushort LocalPort { get; }

    public PeerEndpoint LocalEndpoint => new(BindAddress, LocalPort);

    /// <summary>Most datagrams moved per syscall; a larger batch is sent in several sendmmsg calls.</summary>
    public int MaxBatch { get; }

    /// <summary>The socket's fd; owned by this object and closed by <see cref="Dispose"/>.</summary>
    public int Fd => _fd;

    /// <summary>SO_RCVBUF as the kernel reports it after setup (it doubles what was asked for).</summary>
    public int ReceiveBufferBytes { get; private init; }

    /// <summary>SO_SNDBUF as the kernel reports it after setup.</summary>
    public int SendBufferBytes { get; private init; }

    public long DatagramsReceived => Volatile.Read(ref _datagramsReceived);

    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Datagrams longer than a slot: reported with length 0 and dropped.</summary>
    public long TruncatedDatagrams => Volatile.Read(ref _truncated);

    /// <summary>recvmmsg failures other than EAGAIN.</summary>
    public long ReceiveErrors => Volatile.Read(ref _receiveErrors);

    public long DatagramsSent => Volatile.Read(ref _datagramsSent);

    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Datagrams the kernel refused, that found no buffer space within the retry window, or that did not fit their slot.</summary>
    public long SendFailures => Volatile.Read(ref _sendFailures);

    /// <summary>errno of the most recent refused datagram, 0 if none; for diagnostics only.</summary>
    public int LastSendErrno => Volatile.Read(ref _lastSendErrno);

    /// <summary>Non-zero when <see cref="Receive"/> returned false because the socket failed, not because of shutdown.</summary>
    public int FaultErrno => Volatile.Read(ref _faultErrno);

    /// <summary>
    /// Opens a non-blocking, close-on-exec UDP socket bound to <paramref name="bindAddress"/>:<paramref name="port"/>.
    /// Buffer sizes of 0 keep the kernel defaults; otherwise SO_RCVBUFFORCE/SO_SNDBUFFORCE are tried first (they
    /// pass net.core.*mem_max, with CAP_NET_ADMIN), then the capped SO_RCVBUF/SO_SNDBUF.
    /// </summary>
    /// <param name="bindAddress">IPv4 address in host byte order, e.g. the external interface's address.</param>
    /// <param name="port">0 lets the kernel pick (see <see cref="LocalPort"/>).</param>
    /// <param name="maxBatch">Entries per sendmmsg/recvmmsg; a Receive fills at most this many slots.</param>
    /// <param name="shutdown">Wakes a blocked <see cref="Receive"/>.</param>
    /// <exception cref="SystemCallException">socket, setsockopt or bind failed.</exception>
    public static UdpBatchSocket Open(uint bindAddress, ushort port, int maxBatch, ShutdownSignal shutdown,
        int receiveBufferBytes = 0, int sendBufferBytes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBatch, 1024); // UIO_MAXIOV: the kernel caps vlen there
        ArgumentOutOfRangeException.ThrowIfNegative(receiveBufferBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(sendBufferBytes);
        ArgumentNullException.ThrowIfNull(shutdown);
        string endpoint = new PeerEndpoint(bindAddress, port).ToString();

        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, LibC.IPPROTO_UDP);
        if (fd < 0)
        {
            throw SystemCallException.FromLastError($"socket(AF_INET, SOCK_DGRAM) for {endpoint}");
        }
        try
        {
            if (receiveBufferBytes > 0)
            {
                SetBufferSize(fd, LibC.SO_RCVBUFFORCE, LibC.SO_RCVBUF, receiveBufferBytes, $"SO_RCVBUF={receiveBufferBytes} on UDP socket {endpoint}");
            }
            if (sendBufferBytes > 0)
            {
                SetBufferSize(fd, LibC.SO_SNDBUFFORCE, LibC.SO_SNDBUF, sendBufferBytes, $"SO_SNDBUF={sendBufferBytes} on UDP socket {endpoint}");
            }

            sockaddr_in address = SockaddrIn.Create(bindAddress, port);
            if (LibC.bind(fd, (sockaddr*)&address, (uint)sizeof(sockaddr_in)) != 0)
            {
                throw SystemCallException.FromLastError($"bind UDP socket to {endpoint}");
            }
            sockaddr_in bound = default;
            socklen_t boundLength = (uint)sizeof(sockaddr_in);
            if (LibC.getsockname(fd, (sockaddr*)&bound, &boundLength) != 0)
            {
                throw SystemCallException.FromLastError($"getsockname on UDP socket {endpoint}");
            }

            return new UdpBatchSocket(fd, bindAddress, SockaddrIn.Port(&bound), maxBatch, shutdown)
            {
                ReceiveBufferBytes = GetIntOption(fd, LibC.SO_RCVBUF),
                SendBufferBytes = GetIntOption(fd, LibC.SO_SNDBUF),
            };
        }
        catch
        {
            Syscall.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Receives up to <c>min(batch.Capacity, MaxBatch)</c> datagrams in one recvmmsg, blocking in poll only while
    /// none is queued. Sets <c>batch.Count</c>, each slot's length and source endpoint; a datagram longer than a slot
    /// (MSG_TRUNC) gets length 0 and is counted in <see cref="TruncatedDatagrams"/>. Returns false once shutdown is
    /// signalled, or after a fatal error (see <see cref="FaultErrno"/>).
    /// </summary>
    public bool Receive(PacketBatch batch)
    {
        batch.Count = 0;
        if (_shutdown.IsSignalled || Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }
        int capacity = Math.Min(batch.Capacity, MaxBatch);
        PrepareReceive(batch, capacity);
        int consecutiveErrors = 0;

        while (true)
        {
            int received = Syscall.RecvMmsg(_fd, _receive.Messages, capacity, LibC.MSG_DONTWAIT);
            if (received > 0)
            {
                CompleteReceive(batch, received);
                return true;
            }
            int errno = received == 0 ? LibC.EAGAIN : -received;
            if (errno != LibC.EAGAIN)
            {
                Interlocked.Increment(ref _receiveErrors);
                if (IsFatalSocketError(errno) || ++consecutiveErrors >= MaxConsecutiveReceiveErrors)
                {
                    return Fault(errno);
                }
            }

            switch (ReadinessWait.Wait(_fd, LibC.POLLIN, _shutdown.Fd, -1, out int pollErrno))
            {
                case Readiness.Shutdown:
                    return false;
                case Readiness.Failed:
                    return Fault(pollErrno);
            }
        }
    }

    /// <summary>
    /// Sends every non-empty slot of <c>0..batch.Count-1</c> to its endpoint, in order, MaxBatch per sendmmsg. A
    /// datagram refused for its own destination (unreachable, refused, bad port...) is counted and skipped, and the
    /// rest still go. When the socket buffer is full it waits up to 10 ms for POLLOUT, at most 3 times per call,
    /// then drops what is left. Returns how many datagrams the kernel accepted.
    /// </summary>
    public int Send(PacketBatch batch)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return 0;
        }
        int count = Math.Min(batch.Count, batch.Capacity);
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        ReadOnlySpan<int> lengths = batch.Lengths;
        ReadOnlySpan<PeerEndpoint> endpoints = batch.Endpoints;
        var totals = new SendTotals();
        int next = 0;

        while (next < count && totals.Waits <= MaxSendWaitsPerCall)
        {
            int entries = 0;
            for (; next < count && entries < MaxBatch; next++)
            {
                int length = lengths[next];
                if (length == 0)
                {
                    continue;
                }
                if ((uint)length > (uint)slotSize)
                {
                    totals.Failures++;
                    totals.LastErrno = LibC.EMSGSIZE;
                    continue;
                }
                _send.Vectors[entries].iov_base = slab + ((long)next * slotSize);
                _send.Vectors[entries].iov_len = length;
                PeerEndpoint destination = endpoints[next];
                SockaddrIn.Set(&_send.Names[entries], destination.Address, destination.Port);
                entries++;
            }
            SendEntries(entries, ref totals);
        }
        // Slots never handed to the kernel because the buffer stayed full are drops too.
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
        if (totals.Failures > 0)
        {
            Interlocked.Add(ref _sendFailures, totals.Failures);
            Volatile.Write(ref _lastSendErrno, totals.LastErrno);
        }
        return totals.Sent;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Syscall.Close(_fd);
            _receive.Dispose();
            _send.Dispose();
        }
    }

    private void SendEntries(int entries, ref SendTotals totals)
    {
        int start = 0;
        while (start < entries)
        {
            int result = Syscall.SendMmsg(_fd, _send.Messages + start, entries - start, 0);
            if (result > 0)
            {
                for (int i = start; i < start + result; i++)
                {
                    totals.Bytes += _send.Messages[i].msg_len;
                }
                totals.Sent += result;
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
                    totals.Failures += entries - start;
                    totals.LastErrno = LibC.EAGAIN;
                    return;
                }
                continue;
            }
            totals.LastErrno = errno;
            if (IsFatalSocketError(errno))
            {
                totals.Failures += entries - start;
                return;
            }
            // sendmmsg reports an error only for the first unsent entry: that datagram alone is refused.
            totals.Failures++;
            start++;
        }
    }

    private void PrepareReceive(PacketBatch batch, int capacity)
    {
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        if (slab == _receiveSlab && batch.SlotSize == _receiveSlotSize && capacity <= _receivePrepared)
        {
            return;
        }
        int slotSize = batch.SlotSize;
        for (int i = 0; i < capacity; i++)
        {
            _receive.Vectors[i].iov_base = slab + ((long)i * slotSize);
            _receive.Vectors[i].iov_len = slotSize;
        }
        _receiveSlab = slab;
        _receiveSlotSize = slotSize;
        _receivePrepared = capacity;
    }

    private void CompleteReceive(PacketBatch batch, int received)
    {
        Span<int> lengths = batch.Lengths;
        Span<PeerEndpoint> endpoints = batch.Endpoints;
        long bytes = 0;
        int truncated = 0;
        for (int i = 0; i < received; i++)
        {
            msghdr* header = _receive.Header(i);
            int length = (int)_receive.Messages[i].msg_len;
            if ((header->msg_flags & LibC.MSG_TRUNC) != 0)
            {
                length = 0;
                truncated++;
            }
            lengths[i] = length;
            bytes += length;
            sockaddr_in* source = &_receive.Names[i];
            endpoints[i] = new PeerEndpoint(SockaddrIn.Address(source), SockaddrIn.Port(source));
            // recvmmsg writes the actual address length back; restore the buffer size for the next call.
            header->msg_namelen = (uint)sizeof(sockaddr_in);
        }
        batch.Count = received;
        Interlocked.Add(ref _datagramsReceived, received - truncated);
        Interlocked.Add(ref _bytesReceived, bytes);
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

    // Errors about the socket itself; anything else is about one datagram's destination and is skipped.
    private static bool IsFatalSocketError(int errno) =>
        errno == LibC.EBADF || errno == LibC.ENOTSOCK || errno == LibC.EFAULT;

    private static void SetBufferSize(int fd, int forceOption, int option, int bytes, string what)
    {
        if (LibC.setsockopt(fd, LibC.SOL_SOCKET, forceOption, &bytes, sizeof(int)) == 0)
        {
            return;
        }
        if (LibC.setsockopt(fd, LibC.SOL_SOCKET, option, &bytes, sizeof(int)) != 0)
        {
            throw SystemCallException.FromLastError($"setsockopt {what}");
        }
    }

    private static int GetIntOption(int fd, int option)
    {
        int value = 0;
        socklen_t length = sizeof(int);
        return LibC.getsockopt(fd, LibC.SOL_SOCKET, option, &value, &length) == 0 ? value : 0;
    }

    /// <summary>Running totals of one <see cref="Send"/> call, published to the counters once at the end.</summary>
    private struct SendTotals
    {
        public int Sent;
        public int Failures;
        public long Bytes;
        public int Waits;
        public int LastErrno;
    }
}
