using System.Diagnostics;
using System.Runtime.InteropServices;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket doing one request at a time: send, then read replies with the same sequence number until
/// the ACK/error (plain requests) or NLMSG_DONE (dumps). The socket belongs to the network namespace of the thread
/// that created it, whatever thread uses it later. Not thread-safe.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private static readonly TimeSpan s_replyTimeout = TimeSpan.FromSeconds(5);
    private static readonly int s_headerSize = Marshal.SizeOf<nlmsghdr>();
    private static readonly int s_errorSize = Marshal.SizeOf<nlmsgerr>();

    // Larger than the biggest dump skb the kernel builds (32 KiB), so MSG_TRUNC never fires in practice.
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private readonly int _fd;
    private uint _sequence;
    private int _disposed;

    public NetlinkSocket()
    {
        _fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (_fd < 0)
        {
            throw SystemCallException.FromLastError("socket(AF_NETLINK, NETLINK_ROUTE)");
        }
        // Extended ACKs carry the kernel's own reason text ("Nexthop device is not up"); older kernels lack them.
        int on = 1;
        _ = LibC.setsockopt(_fd, LibC.SOL_NETLINK, Libc.NETLINK_EXT_ACK, &on, sizeof(int));
        var local = new sockaddr_nl { nl_family = (ushort)(int)LibC.AF_NETLINK };
        if (LibC.bind(_fd, (sockaddr*)&local, (uint)sizeof(sockaddr_nl)) != 0)
        {
            var error = SystemCallException.FromLastError("bind netlink socket");
            Syscall.Close(_fd);
            throw error;
        }
    }

    /// <summary>
    /// Sends <paramref name="request"/> and collects its replies (other than ACK/DONE) into <paramref name="replies"/>.
    /// Returns 0 on success or the positive errno the kernel answered with (EINTR when a dump was interrupted by a
    /// concurrent change and should be repeated). Throws only when the socket itself fails or the kernel stays silent.
    /// </summary>
    public int Transact(NetlinkRequest request, string operation, List<NetlinkMessage>? replies, out string? kernelMessage)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        kernelMessage = null;
        uint sequence = ++_sequence;
        SendRequest(request.Finish(sequence), operation);

        bool interrupted = false;
        long deadline = Stopwatch.GetTimestamp() + (long)(s_replyTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            int received = ReceiveDatagram(operation, deadline);
            ReadOnlySpan<byte> datagram = _receiveBuffer.AsSpan(0, received);
            while (datagram.Length >= s_headerSize)
            {
                nlmsghdr header = MemoryMarshal.Read<nlmsghdr>(datagram);
                if (header.nlmsg_len < s_headerSize || header.nlmsg_len > datagram.Length)
                {
                    throw new SystemCallException($"{operation}: malformed netlink reply (length {header.nlmsg_len})", LibC.EPROTO);
                }
                ReadOnlySpan<byte> payload = datagram[s_headerSize..(int)header.nlmsg_len];
                int advance = Math.Min(NetlinkRequest.Align((int)header.nlmsg_len), datagram.Length);
                datagram = datagram[advance..];

                // Replies to an earlier request that timed out may still be queued: skip anything not ours.
                if (header.nlmsg_seq != sequence)
                {
                    continue;
                }
                interrupted |= (header.nlmsg_flags & Libc.NLM_F_DUMP_INTR) != 0;
                switch (header.nlmsg_type)
                {
                    case Libc.NLMSG_NOOP:
                        break;
                    case Libc.NLMSG_DONE:
                        int doneError = payload.Length >= sizeof(int) ? -MemoryMarshal.Read<int>(payload) : 0;
                        return doneError != 0 ? doneError : interrupted ? LibC.EINTR : 0;
                    case Libc.NLMSG_ERROR:
                        return ReadError(header, payload, operation, out kernelMessage);
                    default:
                        replies?.Add(new NetlinkMessage(header.nlmsg_type, header.nlmsg_flags, payload.ToArray()));
                        break;
                }
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Syscall.Close(_fd);
        }
    }

    private void SendRequest(ReadOnlySpan<byte> bytes, string operation)
    {
        fixed (byte* p = bytes)
        {
            while (true)
            {
                long sent = LibC.send(_fd, p, bytes.Length, 0);
                if (sent == bytes.Length)
                {
                    return;
                }
                int errno = sent < 0 ? Marshal.GetLastPInvokeError() : LibC.EMSGSIZE;
                if (errno != LibC.EINTR)
                {
                    throw new SystemCallException($"{operation}: send netlink request", errno);
                }
            }
        }
    }

    private int ReceiveDatagram(string operation, long deadline)
    {
        while (true)
        {
            long remainingTicks = deadline - Stopwatch.GetTimestamp();
            int remainingMilliseconds = (int)Math.Max(0, remainingTicks * 1000 / Stopwatch.Frequency);
            switch (ReadinessWait.Wait(_fd, LibC.POLLIN, -1, remainingMilliseconds, out int pollErrno))
            {
                case Readiness.TimedOut:
                    throw new SystemCallException(
                        $"{operation}: no netlink reply within {s_replyTimeout.TotalSeconds:0} s", LibC.ETIMEDOUT);
                case Readiness.Failed:
                    throw new SystemCallException($"{operation}: poll netlink socket", pollErrno);
            }
            long received;
            fixed (byte* p = _receiveBuffer)
            {
                // MSG_TRUNC makes recv return the datagram's real length, so an oversized reply is caught, not cut.
                received = LibC.recv(_fd, p, _receiveBuffer.Length, LibC.MSG_DONTWAIT | LibC.MSG_TRUNC);
            }
            if (received < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == LibC.EINTR || errno == LibC.EAGAIN)
                {
                    continue;
                }
                throw new SystemCallException($"{operation}: receive netlink reply", errno);
            }
            if (received > _receiveBuffer.Length)
            {
                throw new SystemCallException(
                    $"{operation}: netlink reply of {received} bytes exceeds the {_receiveBuffer.Length}-byte buffer", LibC.EMSGSIZE);
            }
            return (int)received;
        }
    }

    private static int ReadError(nlmsghdr header, ReadOnlySpan<byte> payload, string operation, out string? kernelMessage)
    {
        kernelMessage = null;
        if (payload.Length < s_errorSize)
        {
            throw new SystemCallException($"{operation}: truncated netlink error message", LibC.EPROTO);
        }
        nlmsgerr error = MemoryMarshal.Read<nlmsgerr>(payload);
        if (error.error == 0 || (header.nlmsg_flags & Libc.NLM_F_ACK_TLVS) == 0)
        {
            return -error.error;
        }
        // The TLVs follow the echoed request: its header only when capped, else the whole request.
        int echoed = (header.nlmsg_flags & Libc.NLM_F_CAPPED) != 0 ? s_errorSize : sizeof(int) + (int)error.msg.nlmsg_len;
        int start = NetlinkRequest.Align(echoed);
        if (start < payload.Length)
        {
            var attributes = new AttributeReader(payload[start..]);
            while (attributes.TryRead(out ushort type, out ReadOnlySpan<byte> value))
            {
                if (type == Libc.NLMSGERR_ATTR_MSG)
                {
                    kernelMessage = AttributeReader.ReadString(value);
                }
            }
        }
        return -error.error;
    }
}
