using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>
/// An AF_INET datagram socket bound to one interface address and port (as flannel binds, never 0.0.0.0), moving
/// whole batches with recvmmsg and sendmmsg. Every mmsghdr, iovec, sockaddr_in and control buffer is preallocated in
/// native memory for <see cref="MaxBatch"/> entries per direction, so the steady state never allocates. Optionally
/// with UDP GSO on send, UDP GRO on receive and SO_REUSEPORT (see <see cref="UdpSocketOptions"/>); callers see
/// datagrams either way: return values and counters never count GSO runs or GRO messages as one.
/// </summary>
/// <remarks>
/// One thread receives and one thread sends; they may run concurrently (each direction has its own native arrays).
/// Counters are updated once per call and may be read from any thread. Dispose only after both threads have returned
/// (signal the <see cref="ShutdownSignal"/>, join, then dispose): it frees the native arrays.
/// </remarks>
public sealed class UdpBatchSocket : IUdpBatchSocket
{
    private readonly ShutdownSignal _shutdown;
    private readonly int _fd;
    private readonly DatagramReceiver _receiver;
    private readonly DatagramSender _sender;
    private int _disposed;

    private UdpBatchSocket(int fd, uint bindAddress, ushort localPort, int maxBatch, ShutdownSignal shutdown, DatagramReceiver receiver, DatagramSender sender)
    {
        _fd = fd;
        BindAddress = bindAddress;
        LocalPort = localPort;
        MaxBatch = maxBatch;
        _shutdown = shutdown;
        _receiver = receiver;
        _sender = sender;
    }

    /// <summary>The address the socket is bound to, host byte order.</summary>
    public uint BindAddress { get; }

    /// <summary>The bound port; the kernel's choice when 0 was asked for.</summary>
    public ushort LocalPort { get; }

    public PeerEndpoint LocalEndpoint => new(BindAddress, LocalPort);

    /// <summary>
    /// Most datagrams one sendmmsg carries (a larger batch goes out in several calls), and most messages one recvmmsg
    /// takes: without GRO that is also the most slots one <see cref="Receive"/> fills.
    /// </summary>
    public int MaxBatch { get; }

    /// <summary>The socket's fd; owned by this object and closed by <see cref="Dispose"/>.</summary>
    public int Fd => _fd;

    /// <summary>SO_RCVBUF as the kernel reports it after setup (it doubles what was asked for).</summary>
    public int ReceiveBufferBytes { get; private init; }

    /// <summary>SO_SNDBUF as the kernel reports it after setup.</summary>
    public int SendBufferBytes { get; private init; }

    /// <summary>True when SO_REUSEPORT was set before bind.</summary>
    public bool ReusePort { get; private init; }

    /// <summary>True while sends use UDP GSO: asked for, accepted at setup, and never refused since.</summary>
    public bool GsoEnabled => _sender.GsoEnabled;

    /// <summary>
    /// Why GSO is off although it was asked for: the setup probe's refusal, or the first run the kernel refused with
    /// GSO (EIO, EMSGSIZE, EINVAL, EOPNOTSUPP) but accepted without it; from then on every datagram goes in its own
    /// message. Null while GSO is on or when it was not asked for. Meant to be logged once.
    /// </summary>
    public string? GsoDisabledReason => _sender.GsoDisabledReason;

    /// <summary>True when the kernel accepted UDP_GRO, so receives may be coalesced.</summary>
    public bool GroEnabled => _receiver.Coalesced;

    /// <summary>Why GRO is off although it was asked for (the kernel's refusal with errno); null otherwise.</summary>
    public string? GroUnavailableReason { get; private init; }

    public long DatagramsReceived => _receiver.DatagramsReceived;

    public long BytesReceived => _receiver.BytesReceived;

    /// <summary>Datagrams longer than a slot: reported with length 0 and dropped.</summary>
    public long TruncatedDatagrams => _receiver.TruncatedDatagrams;

    /// <summary>recvmmsg failures other than EAGAIN.</summary>
    public long ReceiveErrors => _receiver.ReceiveErrors;

    /// <summary>Received messages that carried a UDP_GRO cmsg, i.e. came coalesced.</summary>
    public long GroMessages => _receiver.GroMessages;

    /// <summary>Datagrams those coalesced messages held; above <see cref="GroMessages"/> when the kernel coalesced.</summary>
    public long GroSegments => _receiver.GroSegments;

    /// <summary>Coalesced messages the kernel wrote straight into the caller's batch (no copy out of the receiver's own buffers).</summary>
    public long GroMessagesInPlace => _receiver.GroMessagesInPlace;

    public long DatagramsSent => _sender.DatagramsSent;

    public long BytesSent => _sender.BytesSent;

    /// <summary>Datagrams the kernel refused, that found no buffer space within the retry window, or that did not fit their slot.</summary>
    public long SendFailures => _sender.SendFailures;

    /// <summary>errno of the most recent refused datagram, 0 if none; for diagnostics only.</summary>
    public int LastSendErrno => _sender.LastSendErrno;

    /// <summary>Messages sent with a UDP_SEGMENT cmsg (runs of two or more datagrams).</summary>
    public long GsoRuns => _sender.GsoRuns;

    /// <summary>Datagrams sent inside those runs.</summary>
    public long GsoSegments => _sender.GsoSegments;

    /// <summary>Non-zero when <see cref="Receive"/> returned false because the socket failed, not because of shutdown.</summary>
    public int FaultErrno => _receiver.FaultErrno;

    /// <summary>Which call failed and why, for logs; null while the socket has not faulted.</summary>
    public string? FaultDescription => FaultErrno is int errno and not 0
        ? $"UDP socket {Ipv4.Format(BindAddress)}:{LocalPort}: receive failed: {Errno.Describe(errno)}"
        : null;

    /// <summary>
    /// Raised once, on the sending thread, when the kernel refuses UDP GSO at run time and sends go one datagram per
    /// message from then on; the argument says why.
    /// </summary>
    public event Action<string>? GsoDisabled
    {
        add => _sender.GsoDisabled += value;
        remove => _sender.GsoDisabled -= value;
    }

    /// <summary>
    /// Opens a plain socket (no GSO, GRO or port sharing). Buffer sizes of 0 keep the kernel defaults; otherwise
    /// SO_RCVBUFFORCE/SO_SNDBUFFORCE are tried first (they pass net.core.*mem_max, with CAP_NET_ADMIN), then the capped
    /// SO_RCVBUF/SO_SNDBUF.
    /// </summary>
    /// <inheritdoc cref="Open(uint, ushort, int, ShutdownSignal, UdpSocketOptions)" path="/param"/>
    /// <exception cref="SystemCallException">socket, setsockopt or bind failed.</exception>
    public static UdpBatchSocket Open(uint bindAddress, ushort port, int maxBatch, ShutdownSignal shutdown,
        int receiveBufferBytes = 0, int sendBufferBytes = 0) =>
        Open(bindAddress, port, maxBatch, shutdown, new UdpSocketOptions { ReceiveBufferBytes = receiveBufferBytes, SendBufferBytes = sendBufferBytes });

    /// <summary>
    /// Opens a non-blocking, close-on-exec UDP socket bound to <paramref name="bindAddress"/>:<paramref name="port"/>.
    /// GSO support is probed once here (setsockopt UDP_SEGMENT); UDP_GRO is switched on when asked for. Neither
    /// throws when the kernel refuses: the socket works without it and says why
    /// (<see cref="GsoDisabledReason"/>, <see cref="GroUnavailableReason"/>).
    /// </summary>
    /// <param name="bindAddress">IPv4 address in host byte order, e.g. the external interface's address.</param>
    /// <param name="port">0 lets the kernel pick (see <see cref="LocalPort"/>).</param>
    /// <param name="maxBatch">Entries per sendmmsg/recvmmsg, 1 to 1024.</param>
    /// <param name="shutdown">Wakes a blocked <see cref="Receive"/>.</param>
    /// <param name="options">Offloads, port sharing and buffer sizes.</param>
    /// <exception cref="SystemCallException">socket, a required setsockopt (buffers, SO_REUSEPORT) or bind failed.</exception>
    public static UdpBatchSocket Open(uint bindAddress, ushort port, int maxBatch, ShutdownSignal shutdown, UdpSocketOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBatch, 1024); // UIO_MAXIOV: the kernel caps vlen there
        ArgumentOutOfRangeException.ThrowIfNegative(options.ReceiveBufferBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SendBufferBytes);
        ArgumentNullException.ThrowIfNull(shutdown);
        string endpoint = new PeerEndpoint(bindAddress, port).ToString();

        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, LibC.IPPROTO_UDP);
        if (fd < 0)
        {
            throw SystemCallException.FromLastError($"socket(AF_INET, SOCK_DGRAM) for {endpoint}");
        }
        DatagramReceiver? receiver = null;
        try
        {
            if (options.ReceiveBufferBytes > 0)
            {
                SocketSetup.SetBufferSize(fd, LibC.SO_RCVBUFFORCE, LibC.SO_RCVBUF, options.ReceiveBufferBytes,
                    $"SO_RCVBUF={options.ReceiveBufferBytes} on UDP socket {endpoint}");
            }
            if (options.SendBufferBytes > 0)
            {
                SocketSetup.SetBufferSize(fd, LibC.SO_SNDBUFFORCE, LibC.SO_SNDBUF, options.SendBufferBytes,
                    $"SO_SNDBUF={options.SendBufferBytes} on UDP socket {endpoint}");
            }
            if (options.ReusePort)
            {
                SocketSetup.SetInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEPORT, 1, $"SO_REUSEPORT on UDP socket {endpoint}");
            }
            bool gso = false;
            string? gsoUnavailable = null;
            if (options.Gso)
            {
                // Segment size 0 is the default (no GSO unless a send says otherwise): setting it only asks "supported?".
                gso = SocketSetup.TrySetInt(fd, Libc.SOL_UDP, Libc.UDP_SEGMENT, 0, out int errno);
                gsoUnavailable = gso ? null : SocketSetup.Refusal("UDP_SEGMENT", errno);
            }
            bool gro = false;
            string? groUnavailable = null;
            if (options.Gro)
            {
                gro = SocketSetup.TrySetInt(fd, Libc.SOL_UDP, Libc.UDP_GRO, 1, out int errno);
                groUnavailable = gro ? null : SocketSetup.Refusal("UDP_GRO", errno);
            }

            sockaddr_in address = SockaddrIn.Create(bindAddress, port);
            ushort boundPort = Bind(fd, address, endpoint);

            receiver = new DatagramReceiver(fd, maxBatch, shutdown, gro);
            var sender = new DatagramSender(fd, maxBatch, shutdown, gso, gsoUnavailable);
            return new UdpBatchSocket(fd, bindAddress, boundPort, maxBatch, shutdown, receiver, sender)
            {
                ReceiveBufferBytes = SocketSetup.GetInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF),
                SendBufferBytes = SocketSetup.GetInt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUF),
                ReusePort = options.ReusePort,
                GroUnavailableReason = groUnavailable,
            };
        }
        catch
        {
            receiver?.Dispose();
            Syscall.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Blocks in poll only while nothing is queued (after a recvmmsg that came back short it polls before the next
    /// one), then receives. Sets <c>batch.Count</c>, each slot's length and source endpoint; a datagram longer than a
    /// slot gets length 0 and is counted in <see cref="TruncatedDatagrams"/>.
    /// Without GRO one recvmmsg fills at most <c>min(batch.Capacity, MaxBatch)</c> slots in place. With GRO each
    /// coalesced message is split into one slot per datagram (copied, in order, each with its source); what does not
    /// fit the batch is delivered by the next call before it makes any syscall. Returns false once shutdown is
    /// signalled, or after a fatal error (see <see cref="FaultErrno"/>).
    /// </summary>
    public bool Receive(PacketBatch batch)
    {
        if (_shutdown.IsSignalled || Volatile.Read(ref _disposed) != 0)
        {
            batch.Count = 0;
            return false;
        }
        return _receiver.Receive(batch);
    }

    /// <summary>
    /// Sends every non-empty slot of <c>0..batch.Count-1</c> to its endpoint, in order, at most MaxBatch datagrams per
    /// sendmmsg. With GSO, runs of consecutive datagrams to one endpoint with one length (the last may be shorter; at
    /// most 64 datagrams and 65,507 bytes) go as one message with a UDP_SEGMENT cmsg, iovecs pointing at each slot.
    /// A datagram (or run) refused for its own destination (unreachable, refused, bad port...) is counted and skipped,
    /// and the rest still go. When the socket buffer is full it waits up to 10 ms for POLLOUT, at most 3 times per
    /// call, then drops what is left. Returns how many datagrams the kernel accepted.
    /// </summary>
    public int Send(PacketBatch batch) => Volatile.Read(ref _disposed) != 0 ? 0 : _sender.Send(batch);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Syscall.Close(_fd);
            _receiver.Dispose();
            _sender.Dispose();
        }
    }

    // Errors about the socket itself; anything else is about one datagram's destination and is skipped.
    internal static bool IsFatalSocketError(int errno) =>
        errno == LibC.EBADF || errno == LibC.ENOTSOCK || errno == LibC.EFAULT;

    private static unsafe ushort Bind(int fd, sockaddr_in address, string endpoint)
    {
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
        return SockaddrIn.Port(&bound);
    }
}
