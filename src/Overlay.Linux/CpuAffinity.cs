using Overlay.Linux.Interop;

namespace Overlay.Linux;

/// <summary>Which CPUs a thread may run on (sched_setaffinity / sched_getaffinity of the calling thread).</summary>
public static unsafe class CpuAffinity
{
    /// <summary>The CPUs the calling thread may run on, ascending.</summary>
    /// <exception cref="SystemCallException">sched_getaffinity failed.</exception>
    public static IReadOnlyList<int> AllowedCpus()
    {
        ulong* mask = stackalloc ulong[Libc.CpuSetBits / 64];
        if (Libc.sched_getaffinity(0, Libc.CpuSetBits / 8, mask) < 0)
        {
            throw SystemCallException.FromLastError("sched_getaffinity");
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

    /// <summary>Restricts the calling thread (only it, not its process) to <paramref name="cpu"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cpu"/> is negative or not below 1024.</exception>
    /// <exception cref="SystemCallException">The kernel refused, e.g. EINVAL for a CPU that is offline or outside the
    /// process's cpuset.</exception>
    public static void PinCurrentThread(int cpu)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cpu);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cpu, Libc.CpuSetBits);
        ulong* mask = stackalloc ulong[Libc.CpuSetBits / 64];
        new Span<ulong>(mask, Libc.CpuSetBits / 64).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        if (Libc.sched_setaffinity(0, Libc.CpuSetBits / 8, mask) < 0)
        {
            throw SystemCallException.FromLastError($"sched_setaffinity(CPU {cpu})");
        }
    }
}
