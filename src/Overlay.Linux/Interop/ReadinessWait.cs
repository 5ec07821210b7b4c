using Tmds.Linux;

namespace Overlay.Linux.Interop;

/// <summary>
/// Blocks a forwarding thread in poll on its data fd plus the shared shutdown eventfd. Closing an fd does not wake a
/// thread blocked in poll on it, so the eventfd is the only way to stop such a thread.
/// </summary>
internal static unsafe class ReadinessWait
{
    /// <param name="fd">The data fd.</param>
    /// <param name="events">POLLIN or POLLOUT.</param>
    /// <param name="shutdownFd">The shutdown eventfd, or -1 to wait on the data fd alone.</param>
    /// <param name="timeoutMilliseconds">-1 waits forever.</param>
    /// <param name="errno">Set when the result is <see cref="Readiness.Failed"/>.</param>
    public static Readiness Wait(int fd, short events, int shutdownFd, int timeoutMilliseconds, out int errno)
    {
        errno = 0;
        pollfd* fds = stackalloc pollfd[2];
        fds[0].fd = fd;
        fds[0].events = events;
        fds[0].revents = 0;
        fds[1].fd = shutdownFd;
        fds[1].events = LibC.POLLIN;
        fds[1].revents = 0;
        int count = shutdownFd >= 0 ? 2 : 1;

        int result = Syscall.Poll(fds, count, timeoutMilliseconds);
        if (result < 0)
        {
            errno = -result;
            return Readiness.Failed;
        }
        if (result == 0)
        {
            return Readiness.TimedOut;
        }
        if (count == 2 && fds[1].revents != 0)
        {
            return Readiness.Shutdown;
        }
        if ((fds[0].revents & LibC.POLLNVAL) != 0)
        {
            errno = LibC.EBADF;
            return Readiness.Failed;
        }
        return Readiness.Ready;
    }
}
