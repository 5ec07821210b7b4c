using Overlay.Linux;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// Trims the native heap every 10 s (see <see cref="NativeHeap.Trim"/>), so that resident memory follows what the
/// daemon holds rather than the high-water mark of the runtime's compilations.
/// </summary>
internal sealed class NativeHeapTrimmer : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    private readonly Timer _timer = new(static _ => NativeHeap.Trim(), null, Period, Period);

    public void Dispose() => _timer.Dispose();
}
