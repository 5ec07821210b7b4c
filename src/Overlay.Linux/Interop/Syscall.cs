using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Overlay.Linux.Interop;

/// <summary>
/// The hot-path system calls, wrapped so they never throw and never allocate: EINTR is retried here, and a failure
/// comes back as the negated errno (the kernel's own convention), so callers branch on one integer.
/// </summary>
internal static unsafe class Syscall
{
    /// <summary>Bytes read (0..count), or -errno. -EAGAIN means nothing is ready on a non-blocking fd.</summary>
    public static long Read(int fd, byte* buffer, int count)
    {
        while (true)
        {
            long result = LibC.read(fd, buffer, count);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Bytes written, or -errno.</summary>
    public static long Write(int fd, byte* buffer, int count)
    {
        while (true)
        {
            long result = LibC.write(fd, buffer, count);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Bytes read into the vectors, or -errno (-EAGAIN: nothing ready on a non-blocking fd).</summary>
    public static long ReadV(int fd, iovec* vectors, int count)
    {
        while (true)
        {
            long result = Libc.readv(fd, vectors, count);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Bytes written from the vectors, or -errno.</summary>
    public static long WriteV(int fd, iovec* vectors, int count)
    {
        while (true)
        {
            long result = Libc.writev(fd, vectors, count);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Messages sent from the front of <paramref name="messages"/>, or -errno when the first one failed.</summary>
    public static int SendMmsg(int fd, mmsghdr* messages, int count, int flags)
    {
        while (true)
        {
            int result = Libc.sendmmsg(fd, messages, (uint)count, flags);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Messages received into the front of <paramref name="messages"/>, or -errno.</summary>
    public static int RecvMmsg(int fd, mmsghdr* messages, int count, int flags)
    {
        while (true)
        {
            int result = Libc.recvmmsg(fd, messages, (uint)count, flags, null);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Ready descriptors (0 on timeout), or -errno. A negative timeout waits forever.</summary>
    public static int Poll(pollfd* fds, int count, int timeoutMilliseconds)
    {
        while (true)
        {
            int result = Libc.poll(fds, (nuint)count, timeoutMilliseconds);
            if (result >= 0)
            {
                return result;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno != LibC.EINTR)
            {
                return -errno;
            }
        }
    }

    /// <summary>Closes an fd once. Never retried: on Linux the descriptor is released even when close reports EINTR.</summary>
    public static void Close(int fd)
    {
        if (fd >= 0)
        {
            _ = LibC.close(fd);
        }
    }
}
