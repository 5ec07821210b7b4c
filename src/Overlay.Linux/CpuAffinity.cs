using Overlay.Linux.Interop;

namespace Overlay.Linux;

/// <summary>Which CPUs a thread may run on (sched_setaffinity / sched_getaffinity).</summary>
public static unsafe class CpuAffinity
{
    private const int MaskWords = Libc.CpuSetBits / 64;

    /// <summary>The CPUs the calling thread may run on, ascending.</summary>
    /// <exception cref="SystemCallException">sched_getaffinity failed.</exception>
    public static IReadOnlyList<int> AllowedCpus() => AllowedCpus(0);

    /// <summary>
    /// The CPUs thread <paramref name="threadId"/> may run on, ascending (0: the calling thread; the process id: its
    /// main thread, which is what <c>taskset -p</c> changes).
    /// </summary>
    /// <exception cref="SystemCallException">sched_getaffinity failed, e.g. ESRCH for a thread that has ended.</exception>
    public static IReadOnlyList<int> AllowedCpus(int threadId)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threadId);
        ulong* mask = stackalloc ulong[MaskWords];
        if (Libc.sched_getaffinity(threadId, Libc.CpuSetBits / 8, mask) < 0)
        {
            throw SystemCallException.FromLastError(threadId == 0 ? "sched_getaffinity" : $"sched_getaffinity(thread {threadId})");
        }
        var cpus = new List<int>();
        for (int cpu = 0; cpu < Libc.CpuSetBits; cpu++)
        {
            if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0)
            {
                cpus.Add(cpu);
            }
        }
        return cpus;
    }

    /// <summary>The kernel's id of the calling thread (gettid), for <see cref="SetThreadCpus"/> from another thread.</summary>
    public static int CurrentThreadId() => Libc.gettid();

    /// <summary>Restricts the calling thread (only it, not its process) to <paramref name="cpu"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is negative or not below 1024.</exception>
    /// <exception cref="SystemCallException">The kernel refused, e.g. EINVAL for a CPU that is offline or outside the
    /// process's cpuset.</exception>
    public static void PinCurrentThread(int cpu) => Set(0, [cpu], $"sched_setaffinity(CPU {cpu})");

    /// <summary>
    /// Lets thread <paramref name="threadId"/> of this process (a <see cref="CurrentThreadId"/>) run on exactly
    /// <paramref name="cpus"/>; callable from any thread. Not for per-packet use: one syscall, and the kernel may
    /// migrate the thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A CPU is negative or not below 1024, or none is given.</exception>
    /// <exception cref="SystemCallException">The kernel refused: ESRCH when the thread has ended, EINVAL when no
    /// listed CPU is usable.</exception>
    public static void SetThreadCpus(int threadId, IReadOnlyList<int> cpus)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threadId);
        Set(threadId, cpus, $"sched_setaffinity(thread {threadId}, CPUs {string.Join(',', cpus)})");
    }

    private static void Set(int threadId, IReadOnlyList<int> cpus, string operation)
    {
        ArgumentOutOfRangeException.ThrowIfZero(cpus.Count);
        ulong* mask = stackalloc ulong[MaskWords];
        new Span<ulong>(mask, MaskWords).Clear();
        foreach (int cpu in cpus)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(cpu);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, Libc.CpuSetBits);
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
        if (Libc.sched_setaffinity(threadId, Libc.CpuSetBits / 8, mask) < 0)
        {
            throw SystemCallException.FromLastError(operation);
        }
    }
}
