using Xunit;

namespace Overlay.TestKit.Allocation;

/// <summary>
/// Asserts that a steady-state path allocates nothing on the calling thread. After warm-up the runtime may still do
/// one-off work on this thread (an on-stack-replacement compile or a first-call stub, more often while parallel tests
/// keep tiering busy). A per-packet allocation shows in every window and a one-off in one, so windows run until one is
/// clean, at most <see cref="MaxWindows"/>, and the last one must be clean.
/// </summary>
public static class SteadyStateAllocation
{
    public const int MaxWindows = 3;

    /// <param name="bytesAllocatedInOneWindow">Runs one window and returns what it allocated on this thread.</param>
    /// <param name="window">What one window moves, for the failure message (e.g. "6400 datagrams").</param>
    /// <returns>How many windows ran, so callers can check what they moved.</returns>
    public static int AssertClean(Func<long> bytesAllocatedInOneWindow, string window)
    {
        ArgumentNullException.ThrowIfNull(bytesAllocatedInOneWindow);
        long[] allocatedPerWindow = new long[MaxWindows];
        int windows = 0;
        while (windows < MaxWindows)
        {
            allocatedPerWindow[windows] = bytesAllocatedInOneWindow();
            if (allocatedPerWindow[windows++] == 0)
            {
                break;
            }
        }
        Assert.True(allocatedPerWindow[windows - 1] == 0,
            $"bytes allocated per window of {window}: {string.Join(", ", allocatedPerWindow[..windows])}");
        return windows;
    }

    /// <summary>Bytes <paramref name="action"/> allocated on this thread; the delegate itself exists before counting starts.</summary>
    public static long BytesAllocatedBy(Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
