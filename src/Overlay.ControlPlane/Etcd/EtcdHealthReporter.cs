using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Logging;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// The one place that decides what an operator reads about etcd's reachability, shared by every retry loop (config
/// wait, lease acquisition and renewal, both watches): the first failure of a kind is one warning naming the cause
/// and the fix, repeats stay quiet until the cause changes, and the first success afterwards is one info line.
/// A bare deadline during a known problem is no change: a busy host or a call queued behind a reconnect says so.
/// Thread-safe: the lease and peer loops report concurrently.
/// </summary>
public sealed class EtcdHealthReporter
{
    private readonly ILogger _logger;
    private readonly EtcdFailureContext _context;
    private readonly string _endpoints;
    private readonly Lock _lock = new();
    private EtcdFailure? _reported;

    public EtcdHealthReporter(ILogger logger, EtcdFailureContext context, string endpoints)
    {
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(context);
        _logger = logger;
        _context = context;
        _endpoints = endpoints;
    }

    /// <summary>The problem last warned about, or null while etcd answers.</summary>
    public EtcdFailure? CurrentProblem
    {
        get
        {
            lock (_lock)
            {
                return _reported;
            }
        }
    }

    /// <summary>Classifies a failed call, warns when it is a new problem, and returns the classification.</summary>
    public EtcdFailure ReportFailure(Exception exception)
    {
        EtcdFailure failure = EtcdFailureClassifier.Classify(exception, _context);
        lock (_lock)
        {
            if (_reported is not null && (failure.Vague || _reported.IsSameProblem(failure)))
            {
                return failure;
            }
            _reported = failure;
        }
        _logger.EtcdUnhealthy(_endpoints, failure.Cause, failure.Fix);
        return failure;
    }

    /// <summary>A call succeeded: after a reported problem, says once that etcd answers again.</summary>
    public void ReportSuccess()
    {
        EtcdFailure? was;
        lock (_lock)
        {
            was = _reported;
            _reported = null;
        }
        if (was is not null)
        {
            _logger.EtcdHealthy(_endpoints, was.Cause);
        }
    }
}
