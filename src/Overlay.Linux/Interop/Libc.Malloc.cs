using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

internal static partial class Libc
{
    /// <summary>Gives free memory of every malloc arena back to the kernel; returns 1 when any was released.</summary>
    [LibraryImport("libc")]
    internal static partial int malloc_trim(nuint pad);
}
