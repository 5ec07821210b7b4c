using System.Text;
using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Tun;

/// <summary>
/// A TUN device opened from /dev/net/tun with IFF_TUN | IFF_NO_PI, optionally with offloads (IFF_VNET_HDR +
/// TUNSETOFFLOAD) and several queues (IFF_MULTI_QUEUE, one fd each, see <see cref="Queues"/>). Every fd is
/// non-blocking; reads wait in poll on it plus the shutdown eventfd. The device is not persistent: it disappears
/// when <see cref="Dispose"/> closes its fds.
/// </summary>
/// <remarks>
/// As an <see cref="ITunQueue"/> the device is its first queue (<c>Queues[0]</c>), so single-queue callers need not
/// know about queues; its counters are the totals of all queues. Threading per queue follows <see cref="ITunQueue"/>.
/// Dispose only after the threads using the device have returned (signal the <see cref="ShutdownSignal"/>, join,
/// then dispose).
/// </remarks>
public sealed class TunDevice : ITunQueue
{
    private const TunOffloads BaseOffloads = TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn;
    private const TunOffloads UdpOffloads = TunOffloads.Uso4 | TunOffloads.Uso6;

    private readonly TunQueue[] _queues;

    private TunDevice(string name, TunQueue[] queues, TunOffloads offloads, string? usoUnavailableReason)
    {
        Name = name;
        _queues = queues;
        OffloadFlagsEnabled = offloads;
        UsoUnavailableReason = usoUnavailableReason;
    }

    /// <summary>The name the kernel chose from the template, e.g. "flannel0".</summary>
    public string Name { get; }

    /// <summary>The first queue's fd; owned by this object and closed by <see cref="Dispose"/>.</summary>
    public int Fd => _queues[0].Fd;

    /// <summary>One queue per fd, in the order they were attached; each has its own counters.</summary>
    public IReadOnlyList<TunQueue> Queues => _queues;

    /// <summary>True when packets carry virtio_net_hdr metadata, i.e. the device was created with <see cref="TunOptions.Offload"/>.</summary>
    public bool OffloadEnabled => _queues[0].HasVnetHeader;

    /// <summary>The TUN_F_* offloads the kernel accepted; <see cref="TunOffloads.None"/> without <see cref="TunOptions.Offload"/>.</summary>
    public TunOffloads OffloadFlagsEnabled { get; }

    /// <summary>True when UDP segmentation offload (TUN_F_USO4 | TUN_F_USO6) took.</summary>
    public bool UsoEnabled => (OffloadFlagsEnabled & UdpOffloads) == UdpOffloads;

    /// <summary>Why USO is off when offloads were asked for (not requested, or the kernel's refusal with errno); null when on.</summary>
    public string? UsoUnavailableReason { get; }

    public long PacketsRead => Sum(static q => q.PacketsRead);

    public long BytesRead => Sum(static q => q.BytesRead);

    public long ReadErrors => Sum(static q => q.ReadErrors);

    public long PacketsWritten => Sum(static q => q.PacketsWritten);

    public long BytesWritten => Sum(static q => q.BytesWritten);

    public long WriteFailures => Sum(static q => q.WriteFailures);

    /// <summary>The first queue's <see cref="TunQueue.LastWriteErrno"/>.</summary>
    public int LastWriteErrno => _queues[0].LastWriteErrno;

    /// <summary>The first queue's <see cref="TunQueue.FaultErrno"/>.</summary>
    public int FaultErrno => _queues[0].FaultErrno;

    /// <summary>Creates a single-queue device without offloads: every read and write is one bare IP packet.</summary>
    /// <inheritdoc cref="Create(string, ShutdownSignal, TunOptions)" path="/param"/>
    /// <exception cref="SystemCallException">Opening /dev/net/tun or TUNSETIFF failed.</exception>
    public static TunDevice Create(string nameTemplate, ShutdownSignal shutdown) => Create(nameTemplate, shutdown, TunOptions.Plain);

    /// <summary>
    /// Creates the device. The first fd creates it from the template; each further queue opens /dev/net/tun again
    /// and attaches with TUNSETIFF to the same name and flags. With offloads, TUNSETOFFLOAD enables CSUM, TSO4, TSO6
    /// and TSO_ECN (required), then tries adding USO4 and USO6, which kernels before 6.2 refuse harmlessly. Needs
    /// CAP_NET_ADMIN in the thread's network namespace.
    /// </summary>
    /// <param name="nameTemplate">May hold one <c>%d</c>, which the kernel replaces with the first free index ("flannel%d" gives "flannel0").</param>
    /// <param name="shutdown">Wakes every queue's blocked Read.</param>
    /// <param name="options">Offloads and queue count.</param>
    /// <exception cref="SystemCallException">Opening /dev/net/tun, TUNSETIFF or the required TUNSETOFFLOAD failed.</exception>
    public static TunDevice Create(string nameTemplate, ShutdownSignal shutdown, TunOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameTemplate);
        ArgumentNullException.ThrowIfNull(shutdown);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Queues, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Queues, Libc.MAX_TAP_QUEUES);
        if (Encoding.ASCII.GetByteCount(nameTemplate) >= Libc.IFNAMSIZ || nameTemplate.Any(c => c > 0x7E || c <= ' ' || c == '/'))
        {
            throw new ArgumentException(
                $"'{nameTemplate}' is not a valid interface name: at most {Libc.IFNAMSIZ - 1} printable ASCII characters, no '/' or spaces",
                nameof(nameTemplate));
        }

        short flags = (short)(Libc.IFF_TUN | Libc.IFF_NO_PI
            | (options.Offload ? Libc.IFF_VNET_HDR : 0)
            | (options.Queues > 1 ? Libc.IFF_MULTI_QUEUE : 0));
        string describedFlags = DescribeFlags(options);
        var fds = new List<int>(options.Queues);
        try
        {
            string name = Attach(nameTemplate, flags, describedFlags, fds);
            TunOffloads offloads = TunOffloads.None;
            string? usoUnavailable = null;
            if (options.Offload)
            {
                // Offloads are a property of the device, not of one fd: setting them once covers every queue.
                offloads = EnableOffloads(fds[0], name, options.Uso, out usoUnavailable);
            }
            for (int queue = 1; queue < options.Queues; queue++)
            {
                _ = Attach(name, flags, describedFlags, fds);
            }
            var queues = new TunQueue[fds.Count];
            for (int i = 0; i < queues.Length; i++)
            {
                queues[i] = new TunQueue(fds[i], i, options.Offload, shutdown);
            }
            return new TunDevice(name, queues, offloads, usoUnavailable);
        }
        catch
        {
            foreach (int fd in fds)
            {
                Syscall.Close(fd);
            }
            throw;
        }
    }

    /// <summary>Reads from the first queue; see <see cref="TunQueue.Read"/>.</summary>
    public bool Read(PacketBatch batch) => _queues[0].Read(batch);

    /// <summary>A writer of the first queue for one thread; see <see cref="TunQueue.CreateWriter"/>.</summary>
    public TunWriter CreateWriter() => _queues[0].CreateWriter();

    ITunWriter ITunQueue.CreateWriter() => CreateWriter();

    /// <summary>Writes through the first queue's own writer (one thread only); see <see cref="TunWriter.Write(PacketBatch)"/>.</summary>
    public int Write(PacketBatch batch) => _queues[0].Write(batch);

    /// <summary>Gathered writes through the first queue's own writer; see <see cref="TunWriter.Write(PacketBatch, GatheredPackets)"/>.</summary>
    public int Write(PacketBatch source, GatheredPackets packets) => _queues[0].Write(source, packets);

    /// <summary>Closes every queue's fd, which removes the (non-persistent) device.</summary>
    public void Dispose()
    {
        foreach (TunQueue queue in _queues)
        {
            queue.Dispose();
        }
    }

    /// <summary>Opens /dev/net/tun and TUNSETIFFs it to <paramref name="name"/>; adds the fd to <paramref name="fds"/> and returns the device's name.</summary>
    private static unsafe string Attach(string name, short flags, string describedFlags, List<int> fds)
    {
        int fd;
        fixed (byte* path = "/dev/net/tun\0"u8)
        {
            fd = LibC.open(path, LibC.O_RDWR | LibC.O_CLOEXEC | LibC.O_NONBLOCK, default);
        }
        if (fd < 0)
        {
            throw SystemCallException.FromLastError($"open /dev/net/tun for TUN device '{name}' (queue {fds.Count})");
        }
        fds.Add(fd);

        ifreq request = default;
        Encoding.ASCII.GetBytes(name).CopyTo(new Span<byte>(request.ifr_name, Libc.IFNAMSIZ));
        request.ifr_flags = flags;
        if (LibC.ioctl(fd, Libc.TUNSETIFF, &request) != 0)
        {
            throw SystemCallException.FromLastError($"ioctl(TUNSETIFF, {describedFlags}) for TUN device '{name}' (queue {fds.Count - 1})");
        }

        var nameBytes = new ReadOnlySpan<byte>(request.ifr_name, Libc.IFNAMSIZ);
        int end = nameBytes.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]);
    }

    private static TunOffloads EnableOffloads(int fd, string name, bool tryUso, out string? usoUnavailable)
    {
        if (!TrySetOffload(fd, BaseOffloads, out int errno))
        {
            throw new SystemCallException($"ioctl(TUNSETOFFLOAD, CSUM|TSO4|TSO6|TSO_ECN) for TUN device '{name}'", errno);
        }
        if (!tryUso)
        {
            usoUnavailable = "not requested";
            return BaseOffloads;
        }
        if (!TrySetOffload(fd, BaseOffloads | UdpOffloads, out errno))
        {
            // Before Linux 6.2 the kernel rejects the unknown USO bits with EINVAL and keeps the base set.
            usoUnavailable = $"ioctl(TUNSETOFFLOAD, +USO4|USO6) refused: {Errno.Describe(errno)}";
            return BaseOffloads;
        }
        usoUnavailable = null;
        return BaseOffloads | UdpOffloads;
    }

    private static bool TrySetOffload(int fd, TunOffloads offloads, out int errno)
    {
        // TUNSETOFFLOAD takes the flags by value, not through a pointer.
        if (LibC.ioctl(fd, Libc.TUNSETOFFLOAD, (int)offloads) == 0)
        {
            errno = 0;
            return true;
        }
        errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
        return false;
    }

    private static string DescribeFlags(TunOptions options) =>
        "IFF_TUN|IFF_NO_PI" + (options.Offload ? "|IFF_VNET_HDR" : "") + (options.Queues > 1 ? "|IFF_MULTI_QUEUE" : "");

    private long Sum(Func<TunQueue, long> counter)
    {
        long total = 0;
        foreach (TunQueue queue in _queues)
        {
            total += counter(queue);
        }
        return total;
    }
}
