using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Tun;

/// <summary>
/// A single-queue TUN device opened from /dev/net/tun with IFF_TUN | IFF_NO_PI: every read and write is one bare IP
/// packet. The fd is non-blocking; <see cref="Read"/> waits in poll on it plus the shutdown eventfd. The device is not
/// persistent: it disappears when <see cref="Dispose"/> closes the fd.
/// </summary>
/// <remarks>
/// Threading follows <see cref="ITunQueue"/>: one reader thread; <see cref="Write"/> from the reader and one other
/// thread. Counters are updated once per batch and may be read from any thread. Dispose only after the threads using
/// the device have returned (signal the <see cref="ShutdownSignal"/>, join, then dispose).
/// </remarks>
public sealed unsafe class TunDevice : ITunQueue
{
    private const int WriteRetryWaitMilliseconds = 10;

    // A non-EAGAIN read error that poll keeps reporting as readable would otherwise spin forever.
    private const int MaxConsecutiveReadErrors = 1000;

    private readonly ShutdownSignal _shutdown;
    private readonly int _fd;
    private int _disposed;
    private int _faultErrno;
    private int _lastWriteErrno;
    private long _packetsRead;
    private long _bytesRead;
    private long _readErrors;
    private long _packetsWritten;
    private long _bytesWritten;
    private long _writeFailures;

    private TunDevice(int fd, string name, ShutdownSignal shutdown)
    {
        _fd = fd;
        Name = name;
        _shutdown = shutdown;
    }

    /// <summary>The name the kernel chose from the template, e.g. "flannel0".</summary>
    public string Name { get; }

    /// <summary>The device's fd; owned by this object and closed by <see cref="Dispose"/>.</summary>
    public int Fd => _fd;

    public long PacketsRead => Volatile.Read(ref _packetsRead);

    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>read() failures other than EAGAIN.</summary>
    public long ReadErrors => Volatile.Read(ref _readErrors);

    public long PacketsWritten => Volatile.Read(ref _packetsWritten);

    public long BytesWritten => Volatile.Read(ref _bytesWritten);

    /// <summary>Packets the kernel refused (or that did not fit their slot); each is dropped.</summary>
    public long WriteFailures => Volatile.Read(ref _writeFailures);

    /// <summary>errno of the most recent refused write, 0 if none; for diagnostics only.</summary>
    public int LastWriteErrno => Volatile.Read(ref _lastWriteErrno);

    /// <summary>
    /// Non-zero when <see cref="Read"/> returned false because the device failed (e.g. EBADFD once it was deleted),
    /// not because shutdown was signalled.
    /// </summary>
    public int FaultErrno => Volatile.Read(ref _faultErrno);

    /// <summary>
    /// Creates the device. <paramref name="nameTemplate"/> may hold one <c>%d</c>, which the kernel replaces with
    /// the first free index ("flannel%d" gives "flannel0"). Needs CAP_NET_ADMIN in the thread's network namespace.
    /// </summary>
    /// <exception cref="SystemCallException">Opening /dev/net/tun or TUNSETIFF failed.</exception>
    public static TunDevice Create(string nameTemplate, ShutdownSignal shutdown)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameTemplate);
        ArgumentNullException.ThrowIfNull(shutdown);
        byte[] templateBytes = Encoding.ASCII.GetBytes(nameTemplate);
        if (templateBytes.Length >= Libc.IFNAMSIZ || nameTemplate.Any(c => c > 0x7E || c <= ' ' || c == '/'))
        {
            throw new ArgumentException(
                $"'{nameTemplate}' is not a valid interface name: at most {Libc.IFNAMSIZ - 1} printable ASCII characters, no '/' or spaces",
                nameof(nameTemplate));
        }

        int fd;
        fixed (byte* path = "/dev/net/tun\0"u8)
        {
            fd = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NONBLOCK, default);
        }
        if (fd < 0)
        {
            throw SystemCallException.FromLastError($"open /dev/net/tun for TUN device '{nameTemplate}'");
        }

        ifreq request = default;
        templateBytes.CopyTo(new Span<byte>(request.ifr_name, Libc.IFNAMSIZ));
        request.ifr_flags = Libc.IFF_TUN | Libc.IFF_NO_PI;
        if (LibC.ioctl(fd, Libc.TUNSETIFF, &request) != 0)
        {
            var error = SystemCallException.FromLastError($"ioctl(TUNSETIFF, IFF_TUN|IFF_NO_PI) for TUN device '{nameTemplate}'");
            Syscall.Close(fd);
            throw error;
        }

        var nameBytes = new ReadOnlySpan<byte>(request.ifr_name, Libc.IFNAMSIZ);
        int end = nameBytes.IndexOf((byte)0);
        string name = Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]);
        return new TunDevice(fd, name, shutdown);
    }

    /// <summary>
    /// Drains up to <c>batch.Capacity</c> packets with non-blocking reads, blocking in poll only while nothing is
    /// ready. Slot <c>i</c> receives at most <c>batch.SlotSize</c> bytes (the kernel cuts a longer packet to fit).
    /// Returns false once shutdown is signalled, or after a fatal error (see <see cref="FaultErrno"/>).
    /// </summary>
    public bool Read(PacketBatch batch)
    {
        batch.Count = 0;
        if (_shutdown.IsSignalled || Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }
        int capacity = batch.Capacity;
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        Span<int> lengths = batch.Lengths;
        int consecutiveErrors = 0;

        while (true)
        {
            // Read before polling: under load the fd is almost always readable, and this saves a poll per batch.
            int count = 0;
            long bytes = 0;
            int errno = 0;
            while (count < capacity)
            {
                long result = Syscall.Read(_fd, slab + ((long)count * slotSize), slotSize);
                if (result < 0)
                {
                    errno = (int)-result;
                    break;
                }
                lengths[count] = (int)result;
                bytes += result;
                count++;
            }

            bool failed = errno != 0 && errno != LibC.EAGAIN;
            if (failed)
            {
                Interlocked.Increment(ref _readErrors);
            }
            if (count > 0)
            {
                batch.Count = count;
                Interlocked.Add(ref _packetsRead, count);
                Interlocked.Add(ref _bytesRead, bytes);
                return true;
            }
            if (failed && (IsFatalReadError(errno) || ++consecutiveErrors >= MaxConsecutiveReadErrors))
            {
                return Fault(errno);
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
    /// Writes each non-empty slot of <c>0..batch.Count-1</c> with its own write(). On EAGAIN it waits up to 10 ms
    /// for POLLOUT and retries once; a packet still refused is counted in <see cref="WriteFailures"/> and dropped.
    /// Returns the number of packets written.
    /// </summary>
    public int Write(PacketBatch batch)
    {
        int count = Math.Min(batch.Count, batch.Capacity);
        int slotSize = batch.SlotSize;
        byte* slab = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(batch.Slab));
        ReadOnlySpan<int> lengths = batch.Lengths;
        int written = 0;
        int failures = 0;
        long bytes = 0;
        int lastErrno = 0;

        for (int i = 0; i < count; i++)
        {
            int length = lengths[i];
            if (length == 0)
            {
                continue;
            }
            if ((uint)length > (uint)slotSize)
            {
                failures++;
                lastErrno = LibC.EINVAL;
                continue;
            }
            byte* packet = slab + ((long)i * slotSize);
            long result = Syscall.Write(_fd, packet, length);
            if (result == -LibC.EAGAIN &&
                ReadinessWait.Wait(_fd, LibC.POLLOUT, -1, WriteRetryWaitMilliseconds, out _) == Readiness.Ready)
            {
                result = Syscall.Write(_fd, packet, length);
            }
            if (result == length)
            {
                written++;
                bytes += length;
            }
            else
            {
                failures++;
                lastErrno = result < 0 ? (int)-result : LibC.EIO;
            }
        }

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
        return written;
    }

    /// <summary>Closes the fd, which removes the (non-persistent) device.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Syscall.Close(_fd);
        }
    }

    private bool Fault(int errno)
    {
        Volatile.Write(ref _faultErrno, errno);
        return false;
    }

    // EBADFD: the device was torn down under the fd; the others mean the fd or buffer is unusable, not "try later".
    private static bool IsFatalReadError(int errno) =>
        errno == LibC.EBADF || errno == LibC.EBADFD || errno == LibC.EFAULT || errno == LibC.EINVAL;
}
