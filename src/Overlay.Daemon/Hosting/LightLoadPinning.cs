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
/// <para>Queue i shares <see cref="ColocationCpu"/>: the host address in that choice sends the nodes of one machine
/// (a lab, a kind-style cluster) to different CPUs instead of all to the first.</para>
/// <para>The forwarding threads register their kernel thread ids from their own start hook; sampling runs on a
/// timer thread, never on the packet path, and costs one counter snapshot per interval and two syscalls per change.
/// A thread that cannot be moved (it has ended) stops the sampling for good: placement then stays as it is.
/// <see cref="Dispose"/> waits for a running sample, so call it before the forwarding threads are joined.</para>
/// </remarks>
internal sealed class LightLoadPinning : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly IReadOnlyList<int> _allowed;
    private readonly int[] _colocationCpus;
    private readonly int[] _threadIds;
    private readonly ForwardingCounters _counters;
    private readonly ILogger _logger;
    private readonly ThreadPlacementPolicy _policy = new();
    private readonly Lock _gate = new();
    private Timer? _timer;
    private long _lastPackets;
    private long _lastWakes;
    private bool _stopped;

    /// <param name="allowed">The CPUs the daemon may use, at least two.</param>
    /// <param name="hostAddress">This host's underlay address, which picks the CPUs (see <see cref="ColocationCpu"/>).</param>
    public LightLoadPinning(IReadOnlyList<int> allowed, uint hostAddress, int queues, ForwardingCounters counters, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(allowed.Count, 2);
        _allowed = allowed;
        _colocationCpus = new int[queues];
        for (int queue = 0; queue < queues; queue++)
        {
            _colocationCpus[queue] = ColocationCpu(allowed, hostAddress, queue);
        }
        _threadIds = new int[queues * 2];
        _counters = counters;
        _logger = logger;
    }

    /// <summary>The CPU queue <paramref name="queue"/>'s threads share at light load: hosts and queues round-robin.</summary>
    public static int ColocationCpu(IReadOnlyList<int> allowed, uint hostAddress, int queue) =>
        allowed[(int)((hostAddress + (uint)queue) % (uint)allowed.Count)];

    /// <summary>"queue 0 on CPU 1, ..." for the start-up log line.</summary>
    public string Describe() => string.Join(", ", _colocationCpus.Select((cpu, queue) => $"queue {queue} on CPU {cpu}"));

    /// <summary>Called on a forwarding thread before its loop runs: <paramref name="slot"/> 0 or 1 of its queue.</summary>
    public void RegisterCurrentThread(int queue, int slot) =>
        Volatile.Write(ref _threadIds[(queue * 2) + slot], CpuAffinity.CurrentThreadId());

    /// <summary>Starts sampling; the threads stay spread until traffic has been light for a few intervals.</summary>
    public void Start()
    {
        lock (_gate)
        {
            (_lastPackets, _lastWakes) = Totals();
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
            long intervalPackets = packets - _lastPackets;
            long intervalWakes = wakes - _lastWakes;
            (_lastPackets, _lastWakes) = (packets, wakes);
            ThreadPlacement before = _policy.Current;
            ThreadPlacement now = _policy.Observe(intervalPackets, intervalWakes);
            if (now != before)
            {
                Apply(now, intervalWakes == 0 ? 0 : (double)intervalPackets / intervalWakes);
            }
        }
    }

    private void Apply(ThreadPlacement placement, double packetsPerWake)
    {
        try
        {
            for (int i = 0; i < _threadIds.Length; i++)
            {
                int threadId = Volatile.Read(ref _threadIds[i]);
                if (threadId == 0)
                {
                    continue;
                }
                // Only a thread of this process: a thread id that ended could belong to another process later.
                if (!Directory.Exists($"/proc/self/task/{threadId}"))
                {
                    throw new InvalidOperationException($"forwarding thread {threadId} has ended");
                }
                CpuAffinity.SetThreadCpus(threadId, placement == ThreadPlacement.Colocated ? [_colocationCpus[i / 2]] : _allowed);
            }
            _logger.ThreadPlacementChanged(placement == ThreadPlacement.Colocated ? $"share a CPU ({Describe()})" : "spread over every CPU", packetsPerWake);
        }
        catch (Exception e) when (e is SystemCallException or InvalidOperationException)
        {
            _stopped = true;
            _timer?.Dispose();
            _logger.ThreadPlacementFailed(e.Message);
        }
    }

    private (long Packets, long Wakes) Totals()
    {
        ForwardingSnapshot snapshot = _counters.Snapshot();
        long wakes = 0;
        for (int bucket = 0; bucket < BatchSizes.BucketCount; bucket++)
        {
            wakes += _counters.Batches(BatchSide.Outbound, bucket) + _counters.Batches(BatchSide.Inbound, bucket);
        }
        return (snapshot.TunPacketsRead + snapshot.UdpPacketsReceived, wakes);
    }
}
