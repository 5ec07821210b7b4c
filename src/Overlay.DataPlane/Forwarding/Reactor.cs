namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Runs each forwarding loop on its own dedicated, named, background thread (never the thread pool: every loop
/// blocks in its source for as long as the daemon lives).
/// </summary>
/// <remarks>
/// A loop that throws is a broken invariant, not a bad packet (those are counted drops): its thread ends and the
/// failure goes to the callback given at construction, on that thread, so the daemon can log it and exit non-zero
/// rather than forward with a dead direction. The other loops keep running until stopped.
/// Lifecycle methods are meant for one controlling thread: <see cref="Start"/> once, then <see cref="Stop"/>.
/// </remarks>
public sealed class Reactor
{
    private readonly IForwardingLoop[] _loops;
    private readonly Action<IForwardingLoop, Exception> _onLoopFailed;
    private readonly Action<IForwardingLoop>? _onThreadStart;
    private Thread[] _threads = [];
    private bool _started;
    private volatile bool _stopping;

    /// <param name="loops">The loops to run, one thread each.</param>
    /// <param name="onLoopFailed">Called on the failing loop's thread with the loop and what it threw.</param>
    /// <param name="onThreadStart">
    /// Called on each loop's own thread before its first packet, e.g. to pin the thread to a CPU; what it throws is
    /// reported to <paramref name="onLoopFailed"/> and the loop does not run.
    /// </param>
    public Reactor(IEnumerable<IForwardingLoop> loops, Action<IForwardingLoop, Exception> onLoopFailed,
        Action<IForwardingLoop>? onThreadStart = null)
    {
        ArgumentNullException.ThrowIfNull(loops);
        ArgumentNullException.ThrowIfNull(onLoopFailed);
        _loops = [.. loops];
        foreach (IForwardingLoop loop in _loops)
        {
            ArgumentNullException.ThrowIfNull(loop, nameof(loops));
        }
        _onLoopFailed = onLoopFailed;
        _onThreadStart = onThreadStart;
    }

    public IReadOnlyList<IForwardingLoop> Loops => _loops;

    /// <summary>Starts one thread per loop. Throws <see cref="InvalidOperationException"/> when called twice.</summary>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("The reactor has already been started.");
        }
        _started = true;
        var threads = new Thread[_loops.Length];
        for (int i = 0; i < _loops.Length; i++)
        {
            IForwardingLoop loop = _loops[i];
            threads[i] = new Thread(() => RunLoop(loop)) { Name = loop.Name, IsBackground = true };
        }
        _threads = threads;
        foreach (Thread thread in threads)
        {
            thread.Start();
        }
    }

    /// <summary>
    /// Asks every loop to stop and waits, up to <paramref name="timeout"/> in all, for their threads to end.
    /// Loops blocked in their sources end only once those sources shut down, so close the TUN queues and sockets
    /// before or right after calling this. Returns true when every thread has ended.
    /// </summary>
    public bool Stop(TimeSpan timeout)
    {
        BeginStop();
        return Join(timeout);
    }

    /// <summary>
    /// Asks every loop to stop without waiting. From here on a loop that ends is a clean stop; before it, a loop that
    /// ends by itself (its source gave up) is reported as a failure. Call this before waking the sources, then
    /// <see cref="Join"/>.
    /// </summary>
    public void BeginStop()
    {
        _stopping = true;
        foreach (IForwardingLoop loop in _loops)
        {
            loop.RequestStop();
        }
    }

    /// <summary>Waits, up to <paramref name="timeout"/> in all, for every loop thread to end. True when all have.</summary>
    public bool Join(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        foreach (Thread thread in _threads)
        {
            long remaining = Math.Max(0, deadline - Environment.TickCount64);
            if (!thread.Join(TimeSpan.FromMilliseconds(remaining)))
            {
                return false;
            }
        }
        return true;
    }

    private void RunLoop(IForwardingLoop loop)
    {
        try
        {
            _onThreadStart?.Invoke(loop);
            loop.Run();
            if (!_stopping)
            {
                // Run returns only when asked to stop or when its source reports shutdown or a fault: unasked, one
                // direction of forwarding is gone, and the daemon must not go on looking healthy.
                _onLoopFailed(loop, new LoopEndedException(loop.Name));
            }
        }
        catch (Exception exception)
        {
            // Every exception is reported: no exception is an expected outcome of a loop.
            _onLoopFailed(loop, exception);
        }
    }
}
