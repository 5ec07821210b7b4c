using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Logging;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

/// <summary>
/// Mirrors every other node's lease into the data plane: list <c>&lt;prefix&gt;/subnets/</c>, publish a
/// <see cref="RouteTable"/>, then watch from the list revision + 1 and publish a new table when a response changed
/// something; changes that arrive while a rebuild rests are coalesced into the next table (see
/// <see cref="RouteTablePublisher"/>: at most 50 ms with thousands of routes, a millisecond with a few). A malformed key or value is logged and skipped and never removes other routes. While
/// etcd is away the last table stays published; the watch resumes from the last revision with backoff (100 ms
/// doubling to 5 s), and after compaction the prefix is listed again and diffed.
/// <see cref="RunAsync"/> runs on one task; the state properties and <see cref="SetOwnSubnet"/> are thread-safe.
/// </summary>
public sealed class PeerWatcher
{
    // From this many leases on, a listing's transient memory is worth a full collection once the table is built.
    private const int LargeListing = 1000;

    private readonly ISubnetRegistry _registry;
    private readonly RouteTableHolder _routes;
    private readonly ushort _port;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EtcdHealthReporter _health;
    // Written by the watch task, copied by the publisher's: both under _peersLock.
    private readonly Dictionary<Ipv4Subnet, PeerEndpoint> _peers = [];
    private readonly Lock _peersLock = new();
    private readonly RouteTablePublisher _publisher;
    private readonly Lock _cycleLock = new();
    private CancellationTokenSource? _cycle;
    private Ipv4Subnet _ownSubnet;
    private bool _resyncRequested;
    private bool _connected;
    private bool _lossReported;
    private long _revision;

    public PeerWatcher(ISubnetRegistry registry, Ipv4Subnet ownSubnet, int port, RouteTableHolder routes, ILogger logger, TimeProvider time,
        EtcdHealthReporter? health = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue);
        _registry = registry;
        _ownSubnet = ownSubnet;
        _port = (ushort)port;
        _routes = routes;
        _logger = logger;
        _time = time;
        _health = health ?? new EtcdHealthReporter(logger, EtcdFailureContext.PlainText(registry.Prefix), "etcd");
        _publisher = new RouteTablePublisher(CopyRoutes, routes, time, logger);
    }

    /// <summary>True while the watch stream is established (or the last etcd call succeeded).</summary>
    public bool IsConnected => Volatile.Read(ref _connected);

    /// <summary>The last etcd revision whose changes were applied; the published table follows within one publish interval.</summary>
    public long Revision => Volatile.Read(ref _revision);

    /// <summary>Routes in the published table.</summary>
    public int RouteCount => _publisher.RouteCount;

    /// <summary>How many route tables were published so far (a rebuild count: coalescing keeps it below the event count).</summary>
    public long TablesPublished => _publisher.Published;

    /// <summary>Time spent building route tables so far.</summary>
    public TimeSpan TableBuildTime => _publisher.BuildTime;

    /// <summary>Our lease moved: stop treating the old subnet as ours, drop any route to the new one, list again.</summary>
    public void SetOwnSubnet(Ipv4Subnet subnet)
    {
        lock (_cycleLock)
        {
            _ownSubnet = subnet;
            _resyncRequested = true;
            _cycle?.Cancel();
        }
    }

    /// <summary>Runs until cancelled. Never throws except <see cref="OperationCanceledException"/>.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stopPublishing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task publishing = _publisher.RunAsync(stopPublishing.Token);
        try
        {
            await WatchAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stopPublishing.CancelAsync().ConfigureAwait(false);
            try
            {
                await publishing.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The publisher stops only by cancellation.
            }
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        var backoff = new ExponentialBackoff();
        bool needList = true;
        bool published = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var cycle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (_cycleLock)
            {
                _cycle = cycle;
                needList |= _resyncRequested;
                _resyncRequested = false;
            }
            try
            {
                if (needList)
                {
                    LeaseListing listing = await _registry.ListLeasesAsync(cycle.Token).ConfigureAwait(false);
                    bool changed = ApplySnapshot(listing.Leases);
                    Volatile.Write(ref _revision, listing.Revision);
                    if (changed || !published)
                    {
                        if (listing.Leases.Count >= LargeListing)
                        {
                            _publisher.RequestAndCompact();
                        }
                        else
                        {
                            _publisher.Request();
                        }
                        published = true;
                    }
                    _logger.PeerSnapshot(PeerCount, listing.Revision);
                    needList = false;
                    MarkConnected();
                    backoff.Reset();
                }
                await foreach (WatchBatch batch in _registry.WatchAsync(_registry.SubnetsPrefix, isPrefix: true, Revision + 1, cycle.Token).ConfigureAwait(false))
                {
                    MarkConnected();
                    backoff.Reset();
                    if (batch.Events.Count == 0)
                    {
                        continue;
                    }
                    if (ApplyEvents(batch.Events))
                    {
                        _publisher.Request();
                    }
                    Volatile.Write(ref _revision, Math.Max(Revision, batch.Events[^1].ModRevision));
                }
            }
            catch (WatchResyncRequiredException e)
            {
                _logger.PeerResync(e.Message);
                needList = true;
            }
            catch (Exception) when (cycle.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // SetOwnSubnet interrupted this cycle; the next one lists again.
            }
            catch (Exception e) when (LeaseManager.IsTransient(e, cancellationToken))
            {
                MarkDisconnected(e);
                await Task.Delay(backoff.Next(), _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                // gRPC reports our own cancellation as RpcException(Cancelled); callers expect the usual type.
                throw new OperationCanceledException("peer watch stopped", e, cancellationToken);
            }
            finally
            {
                lock (_cycleLock)
                {
                    _cycle = null;
                }
            }
        }
    }

    private Ipv4Subnet OwnSubnet
    {
        get
        {
            lock (_cycleLock)
            {
                return _ownSubnet;
            }
        }
    }

    /// <summary>Replaces the peer set with a fresh listing, logging the difference. True when anything changed.</summary>
    private bool ApplySnapshot(IReadOnlyList<SubnetLease> leases)
    {
        Ipv4Subnet own = OwnSubnet;
        var fresh = new Dictionary<Ipv4Subnet, PeerEndpoint>();
        foreach (SubnetLease lease in leases)
        {
            if (lease.Subnet != own)
            {
                fresh[lease.Subnet] = new PeerEndpoint(lease.PublicIp, _port);
            }
        }
        bool changed = false;
        lock (_peersLock)
        {
            foreach (Ipv4Subnet gone in _peers.Keys.Where(s => !fresh.ContainsKey(s)).ToList())
            {
                _peers.Remove(gone);
                _logger.PeerRemoved(gone.ToString());
                changed = true;
            }
            foreach ((Ipv4Subnet subnet, PeerEndpoint endpoint) in fresh)
            {
                changed |= SetLocked(subnet, endpoint);
            }
        }
        return changed;
    }

    /// <summary>Applies one watch response in order. True when the peer set changed.</summary>
    private bool ApplyEvents(IReadOnlyList<KeyEvent> events)
    {
        Ipv4Subnet own = OwnSubnet;
        bool changed = false;
        foreach (KeyEvent change in events)
        {
            if (change.Kind == KeyEventKind.Delete)
            {
                if (!SubnetKey.TryParse(change.Key, out ParsedSubnetKey parsed))
                {
                    _logger.PeerEventSkipped(change.Key, "the deleted key is not a subnet key");
                }
                else if (parsed.Subnet != own && Remove(parsed.Subnet))
                {
                    _logger.PeerRemoved(parsed.Subnet.ToString());
                    changed = true;
                }
                continue;
            }
            if (!LeaseParser.TryParse(change, out SubnetLease? lease, out string? problem))
            {
                _logger.PeerEventSkipped(change.Key, problem);
                continue;
            }
            if (lease.Subnet != own)
            {
                changed |= Set(lease.Subnet, new PeerEndpoint(lease.PublicIp, _port));
            }
        }
        return changed;
    }

    private int PeerCount
    {
        get
        {
            lock (_peersLock)
            {
                return _peers.Count;
            }
        }
    }

    private bool Remove(Ipv4Subnet subnet)
    {
        lock (_peersLock)
        {
            return _peers.Remove(subnet);
        }
    }

    private bool Set(Ipv4Subnet subnet, PeerEndpoint endpoint)
    {
        lock (_peersLock)
        {
            return SetLocked(subnet, endpoint);
        }
    }

    private bool SetLocked(Ipv4Subnet subnet, PeerEndpoint endpoint)
    {
        if (_peers.TryGetValue(subnet, out PeerEndpoint previous))
        {
            if (previous == endpoint)
            {
                return false;
            }
            _logger.PeerChanged(subnet.ToString(), endpoint.ToString(), previous.ToString());
        }
        else
        {
            _logger.PeerAdded(subnet.ToString(), endpoint.ToString());
        }
        _peers[subnet] = endpoint;
        return true;
    }

    /// <summary>The peer set as routes, for the publisher (RouteTable.Create sorts them). O(routes), under the lock only for the copy.</summary>
    private Route[] CopyRoutes()
    {
        lock (_peersLock)
        {
            var routes = new Route[_peers.Count];
            int n = 0;
            foreach (KeyValuePair<Ipv4Subnet, PeerEndpoint> peer in _peers)
            {
                routes[n++] = new Route(peer.Key, peer.Value);
            }
            return routes;
        }
    }

    private void MarkConnected()
    {
        _health.ReportSuccess();
        if (!Volatile.Read(ref _connected))
        {
            Volatile.Write(ref _connected, true);
            if (_lossReported)
            {
                _logger.EtcdRegained(Revision + 1);
                _lossReported = false;
            }
        }
    }

    private void MarkDisconnected(Exception error)
    {
        EtcdFailure failure = _health.ReportFailure(error);
        Volatile.Write(ref _connected, false);
        if (!_lossReported)
        {
            _logger.EtcdLost(failure.Cause, RouteCount, Revision);
            _lossReported = true;
        }
    }
}
