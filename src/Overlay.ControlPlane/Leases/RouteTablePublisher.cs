using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Logging;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

/// <summary>
/// Builds and publishes the route table from the current peer set, then rests before the next rebuild: ten times as
/// long as the rebuild took, at least <see cref="MinimumPause"/> and at most <see cref="MaximumPause"/>. Changes
/// requested meanwhile are coalesced into that next table.
/// </summary>
/// <remarks>
/// A table is immutable (forwarding threads read it without a lock), so every publish is a rebuild: O(routes) to copy,
/// sort and index. Publishing once per etcd response made churn cost O(routes) per changed lease, so a cluster of n
/// nodes whose leases all change once cost O(n²). Resting in proportion to the rebuild keeps the publisher under about
/// a tenth of one CPU whatever the churn and the table size, while a small table (a rebuild of microseconds) still
/// follows etcd within a millisecond; with 5,000 routes a change waits at most one pause plus one rebuild. The first
/// request after a quiet pause is published at once. <see cref="Request"/> is thread-safe; one <see cref="RunAsync"/>
/// does the work.
/// </remarks>
internal sealed class RouteTablePublisher
{
    /// <summary>At most 1,000 rebuilds a second, however small the table.</summary>
    public static readonly TimeSpan MinimumPause = TimeSpan.FromMilliseconds(1);

    /// <summary>A change reaches forwarding within this plus one rebuild, however big the table.</summary>
    public static readonly TimeSpan MaximumPause = TimeSpan.FromMilliseconds(50);

    private const int PausePerBuild = 10;

    private readonly Func<Route[]> _snapshot;
    private readonly RouteTableHolder _routes;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private int _pending;
    private int _routeCount;
    private long _published;
    private long _buildTicks;
    private int _compactAfterPublish;

    /// <param name="snapshot">Copies the current peer set as routes; called on the publisher's task, so it must lock what it reads.</param>
    public RouteTablePublisher(Func<Route[]> snapshot, RouteTableHolder routes, TimeProvider time, ILogger logger)
    {
        _snapshot = snapshot;
        _routes = routes;
        _time = time;
        _logger = logger;
    }

    /// <summary>Routes in the last table published.</summary>
    public int RouteCount => Volatile.Read(ref _routeCount);

    /// <summary>How many tables were published so far.</summary>
    public long Published => Volatile.Read(ref _published);

    /// <summary>Time spent copying and building tables so far.</summary>
    public TimeSpan BuildTime => TimeSpan.FromTicks(Volatile.Read(ref _buildTicks));

    /// <summary>Asks for a rebuild from the peer set as it is when the rebuild starts. Cheap; never blocks.</summary>
    public void Request()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _wake.Release();
        }
    }

    /// <summary>
    /// <see cref="Request"/>, and once that table is published, a full compacting collection that gives the freed
    /// memory back to the kernel. For after a listing of thousands of leases: its transient objects (the etcd answer,
    /// the parsed leases, the tables built meanwhile) are gone by then, but the GC would keep the memory they took
    /// committed for its next allocations; 5,000 leases left 24 MB resident that way, against 5 MB live.
    /// </summary>
    public void RequestAndCompact()
    {
        Volatile.Write(ref _compactAfterPublish, 1);
        Request();
    }

    /// <summary>Publishes requested tables until cancelled; throws only <see cref="OperationCanceledException"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            // Cleared before the snapshot: a change made after this point asks again and gets the next round.
            Volatile.Write(ref _pending, 0);
            TimeSpan built = Publish();
            if (Interlocked.Exchange(ref _compactAfterPublish, 0) == 1)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }
            await Task.Delay(Pause(built), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The rest after a rebuild that took <paramref name="built"/>.</summary>
    internal static TimeSpan Pause(TimeSpan built)
    {
        TimeSpan pause = built * PausePerBuild;
        return pause < MinimumPause ? MinimumPause : pause > MaximumPause ? MaximumPause : pause;
    }

    /// <summary>Builds and publishes a table now (on failure the previous table stays); returns how long it took.</summary>
    private TimeSpan Publish()
    {
        long started = _time.GetTimestamp();
        try
        {
            RouteTable table = RouteTable.Create(_snapshot());
            _routes.Publish(table);
            Volatile.Write(ref _routeCount, table.Count);
            Interlocked.Increment(ref _published);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            _logger.RouteTableRejected(e.Message);
        }
        TimeSpan built = _time.GetElapsedTime(started);
        Interlocked.Add(ref _buildTicks, built.Ticks);
        _logger.RouteTablePublished(RouteCount, (long)built.TotalMicroseconds);
        return built;
    }
}
