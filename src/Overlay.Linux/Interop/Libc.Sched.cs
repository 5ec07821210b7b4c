using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

internal static unsafe partial class Libc
{
    /// <summary>Bits in the CPU masks passed to the kernel: glibc's CPU_SETSIZE.</summary>
    internal const int CpuSetBits = 1024;

    // pid 0 is the calling thread, not the whole process.
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sched_getaffinity(int pid, nuint cpusetsize, ulong* mask);

    // The kernel's id of the calling thread, which sched_setaffinity accepts from any thread of the process.
    [LibraryImport("libc")]
    internal static partial int gettid();
}
