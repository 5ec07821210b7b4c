using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux;

/// <summary>
/// One eventfd that stops every forwarding thread blocked in poll. <see cref="Signal"/> makes the eventfd readable
/// for good (it is never drained), so every current and future poll on it returns at once.
/// </summary>
/// <remarks>
/// Thread-safe: any thread may call <see cref="Signal"/> any number of times. Dispose only after every thread that
/// polls on it has returned: closing the fd would not wake them, and the number could be reused by another open.
/// </remarks>
public sealed unsafe class ShutdownSignal : IDisposable
{
    private readonly int _fd;
    private volatile bool _signalled;
    private int _disposed;

    public ShutdownSignal()
    {
        _fd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_fd < 0)
        {
            throw SystemCallException.FromLastError("eventfd for the shutdown signal");
        }
    }

    /// <summary>True once <see cref="Signal"/> has been called; cheap enough to check before every batch.</summary>
    public bool IsSignalled => _signalled;

    /// <summary>The eventfd to poll for POLLIN next to a data fd.</summary>
    internal int Fd => _fd;

    public void Signal()
    {
        // The flag goes first, so a thread woken by the eventfd always sees it set.
        _signalled = true;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }
        ulong one = 1;
        // EAGAIN would mean the counter is saturated, i.e. already readable: nothing more to do.
        _ = Syscall.Write(_fd, (byte*)&one, sizeof(ulong));
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Syscall.Close(_fd);
        }
    }
}
