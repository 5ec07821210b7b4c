namespace Overlay.Linux.Tests.Support;

/// <summary>
/// Signals a <see cref="ShutdownSignal"/> after a deadline, so a test blocked in Receive or Read always returns:
/// a missing packet then shows up as a failed assertion, not a hung test run.
/// </summary>
internal sealed class ShutdownWatchdog : IDisposable
{
    private readonly Timer _timer;
    private int _fired;

    public ShutdownWatchdog(ShutdownSignal signal, TimeSpan deadline)
    {
        _timer = new Timer(_ =>
        {
            Volatile.Write(ref _fired, 1);
            signal.Signal();
        }, null, deadline, Timeout.InfiniteTimeSpan);
    }

    public bool Fired => Volatile.Read(ref _fired) != 0;

    public void Dispose() => _timer.Dispose();
}
