using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Overlay.Daemon.Log;
using Overlay.DataPlane.Forwarding;
using Overlay.Linux;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// <c>-pin-when-light</c>: samples the forwarding counters every <see cref="Interval"/> and, as
/// <see cref="ThreadPlacementPolicy"/> decides, restricts each queue's two forwarding threads to one CPU while
/// traffic is light and gives them back every CPU the daemon may use under load.
/// </summary>
/// <remarks>
/// <para>The decision is the daemon's as a whole: all queues' packets and wake-ups together. With the policy's rate
/// limit, "light" means the whole daemon moves few packets, so a bulk flow on one queue keeps every queue spread.
/// Queue i shares the CPU <see cref="ColocationCpus"/> picks from those the daemon's main thread may use at the
/// moment of the change, so a later taskset or cpuset change is followed.</para>
/// <para>Forwarding threads register their kernel thread ids from their own start hook and take the current
/// placement then. Sampling runs on a timer thread, never on the packet path: one counter snapshot per interval,
/// and per change one affinity read plus one affinity call per thread. When a thread cannot be moved (it has ended,
/// or a narrowed cpuset refuses the CPU), every thread gets the daemon's CPUs back where the kernel allows and
/// sampling stops for good. <see cref="Dispose"/> waits for a running sample, so call it before the forwarding
/// threads are joined.</para>
/// </remarks>
internal sealed class LightLoadPinning : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly uint _hostAddress;
    private readonly int _queues;
    private readonly int[] _threadIds;
    private readonly ForwardingCounters _counters;
    private readonly ILogger _logger;
    private readonly ThreadPlacementPolicy _policy = new();
    private readonly Lock _gate = new();
    private IReadOnlyList<int> _allowed;
    private Timer? _timer;
    private long _lastPackets;
    private long _lastWakes;
    private long _lastTimestamp;
    private bool _stopped;

    /// <param name="allowed">The CPUs the daemon may use now, at least two.</param>
    /// <param name="hostAddress">This host's underlay address, which picks the CPUs (see <see cref="ColocationCpus"/>).</param>
    public LightLoadPinning(IReadOnlyList<int> allowed, uint hostAddress, int queues, ForwardingCounters counters, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(allowed.Count, 2);
        _allowed = allowed;
        _hostAddress = hostAddress;
        _queues = queues;
        _threadIds = new int[queues * 2];
        _counters = counters;
        _logger = logger;
    }

    /// <summary>"queue 0 on CPU 1, ..." over the CPUs allowed now, for log lines.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            return Describe(_allowed);
        }
    }

    /// <summary>
    /// Called on a forwarding thread before its loop runs: <paramref name="slot"/> 0 or 1 of its queue. A thread
    /// that starts after a co-location joins its queue's CPU at once.
    /// </summary>
    public void RegisterCurrentThread(int queue, int slot)
    {
        int threadId = CpuAffinity.CurrentThreadId();
        lock (_gate)
        {
            _threadIds[(queue * 2) + slot] = threadId;
            if (!_stopped && _policy.Current == ThreadPlacement.Colocated)
            {
                try
                {
                    CpuAffinity.SetThreadCpus(threadId, [ColocationCpus.For(_allowed, _hostAddress, queue)]);
                }
                catch (SystemCallException e)
                {
                    StopAndRestore(e.Message);
                }
            }
        }
    }

    /// <summary>Starts sampling; the threads stay spread until traffic has been light for a few intervals.</summary>
    public void Start()
    {
        lock (_gate)
        {
            (_lastPackets, _lastWakes) = Totals();
            _lastTimestamp = Stopwatch.GetTimestamp();
            _timer = new Timer(_ => Sample(), null, Interval, Interval);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopped = true;
            _timer?.Dispose();
        }
    }

    private void Sample()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
            (long packets, long wakes) = Totals();
            long now = Stopwatch.GetTimestamp();
            long intervalPackets = packets - _lastPackets;
            long intervalWakes = wakes - _lastWakes;
            TimeSpan elapsed = Stopwatch.GetElapsedTime(_lastTimestamp, now);
            (_lastPackets, _lastWakes, _lastTimestamp) = (packets, wakes, now);
            if (elapsed <= TimeSpan.Zero)
            {
                return;
            }
            ThreadPlacement before = _policy.Current;
            ThreadPlacement placement = _policy.Observe(intervalPackets, intervalWakes, elapsed);
            if (placement != before)
            {
                Apply(placement, intervalWakes == 0 ? 0 : (double)intervalPackets / intervalWakes);
            }
        }
    }

    // Caller holds _gate.
    private void Apply(ThreadPlacement placement, double packetsPerWake)
    {
        try
        {
            _allowed = CpuAffinity.AllowedCpus(Environment.ProcessId);
            bool colocate = placement == ThreadPlacement.Colocated;
            if (colocate && _allowed.Count < 2)
            {
                // Narrowed to one CPU since the start: the threads already share it.
                return;
            }
            for (int i = 0; i < _threadIds.Length; i++)
            {
                Move(_threadIds[i], colocate ? [ColocationCpus.For(_allowed, _hostAddress, i / 2)] : _allowed);
            }
            _logger.ThreadPlacementChanged(colocate ? $"share a CPU ({Describe(_allowed)})" : "spread over every CPU", packetsPerWake);
        }
        catch (Exception e) when (e is SystemCallException or InvalidOperationException)
        {
            StopAndRestore(e.Message);
        }
    }

    // Caller holds _gate. Best effort: the threads that can still move get the daemon's CPUs back.
    private void StopAndRestore(string error)
    {
        _stopped = true;
        _timer?.Dispose();
        foreach (int threadId in _threadIds)
        {
            try
            {
                Move(threadId, CpuAffinity.AllowedCpus(Environment.ProcessId));
            }
            catch (Exception e) when (e is SystemCallException or InvalidOperationException)
            {
                // Ended or refused: nothing more to do for this one.
            }
        }
        _logger.ThreadPlacementFailed(error);
    }

    private static void Move(int threadId, IReadOnlyList<int> cpus)
    {
        if (threadId == 0)
        {
            return;
        }
        // Only a thread of this process: the id of a thread that ended could later name another process's thread.
        if (!Directory.Exists($"/proc/self/task/{threadId}"))
        {
            throw new InvalidOperationException($"forwarding thread {threadId} has ended");
        }
        CpuAffinity.SetThreadCpus(threadId, cpus);
    }

    private string Describe(IReadOnlyList<int> allowed) =>
        string.Join(", ", Enumerable.Range(0, _queues).Select(queue => $"queue {queue} on CPU {ColocationCpus.For(allowed, _hostAddress, queue)}"));

    private (long Packets, long Wakes) Totals()
    {
        ForwardingSnapshot snapshot = _counters.Snapshot();
        return (snapshot.TunPacketsRead + snapshot.UdpPacketsReceived, _counters.TotalBatches());
    }
}
