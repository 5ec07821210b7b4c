using Overlay.Linux.Interop;

namespace Overlay.Linux;

/// <summary>The process's native (glibc malloc) heap.</summary>
public static class NativeHeap
{
    /// <summary>
    /// Returns the free pages of every malloc arena to the kernel (<c>malloc_trim(0)</c>); true when any were released.
    /// glibc only shrinks an arena from its top, so memory freed below a live block stays resident: the JIT's scratch
    /// memory, freed after each compilation on whatever thread compiled, left arenas growing by about a megabyte a
    /// minute in soak runs while the managed heap stayed flat. Costs a walk over the arenas; thread-safe.
    /// </summary>
    public static bool Trim() => Libc.malloc_trim(0) == 1;
}
