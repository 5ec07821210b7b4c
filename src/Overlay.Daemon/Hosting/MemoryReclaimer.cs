using Overlay.Linux;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// Gives memory the daemon no longer uses back to the kernel, so that resident memory follows what it holds rather
/// than high-water marks: the native heap is trimmed every 10 s (see <see cref="NativeHeap.Trim"/>), and every
/// 5 minutes a full compacting collection runs first.
/// </summary>
/// <remarks>
/// The daemon allocates little (tens of kilobytes a second: logs, etcd answers, scrapes), so the GC runs a gen0
/// collection about once a minute and a gen1 or gen2 one perhaps once an hour; in between, everything that survived
/// one collection piles up in gen1 and gen2 with the memory committed for it, and a soak's resident memory grew by
/// about 0.2 MB a minute with the live heap flat. A full collection of a heap this small takes a few milliseconds,
/// about as long as the gen0 collections that already pause the forwarding threads every minute under traffic.
/// </remarks>
internal sealed class MemoryReclaimer : IDisposable
{
    public static readonly TimeSpan TrimPeriod = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan CollectPeriod = TimeSpan.FromMinutes(5);

    private static readonly int s_trimsPerCollect = (int)(CollectPeriod / TrimPeriod);

    private readonly Timer _timer;
    private int _ticks;

    public MemoryReclaimer() => _timer = new Timer(static state => ((MemoryReclaimer)state!).Tick(), this, TrimPeriod, TrimPeriod);

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        if (Interlocked.Increment(ref _ticks) % s_trimsPerCollect == 0)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        }
        NativeHeap.Trim();
    }
}
