using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Logging;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

/// <summary>
/// Mirrors every other node's lease into the data plane: list <c>&lt;prefix&gt;/subnets/</c>, publish a
/// <see cref="RouteTable"/>, then watch from the list revision + 1 and publish one new table per etcd response
/// that changed something. A malformed key or value is logged and skipped and never removes other routes. While
/// etcd is away the last table stays published; the watch resumes from the last revision with backoff (100 ms
/// doubling to 5 s), and after compaction the prefix is listed again and diffed.
/// <see cref="RunAsync"/> runs on one task; the state properties and <see cref="SetOwnSubnet"/> are thread-safe.
/// </summary>
public sealed class PeerWatcher
{
    private readonly ISubnetRegistry _registry;
    private readonly RouteTableHolder _routes;
    private readonly ushort _port;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly EtcdHealthReporter _health;
    private readonly Dictionary<Ipv4Subnet, PeerEndpoint> _peers = [];
    private readonly Lock _cycleLock = new();
    private CancellationTokenSource? _cycle;
    private Ipv4Subnet _ownSubnet;
    private bool _resyncRequested;
    private bool _connected;
    private bool _lossReported;
    private long _revision;
    private int _routeCount;

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
    }

    /// <summary>True while the watch stream is established (or the last etcd call succeeded).</summary>
    public bool IsConnected => Volatile.Read(ref _connected);

    /// <summary>The last etcd revision whose changes are in the published table.</summary>
    public long Revision => Volatile.Read(ref _revision);

    public int RouteCount => Volatile.Read(ref _routeCount);

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
                        published = Publish();
                    }
                    _logger.PeerSnapshot(_peers.Count, listing.Revision);
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
                        Publish();
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
        foreach (Ipv4Subnet gone in _peers.Keys.Where(s => !fresh.ContainsKey(s)).ToList())
        {
            _peers.Remove(gone);
            _logger.PeerRemoved(gone.ToString());
            changed = true;
        }
        foreach ((Ipv4Subnet subnet, PeerEndpoint endpoint) in fresh)
        {
            changed |= Set(subnet, endpoint);
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
                else if (parsed.Subnet != own && _peers.Remove(parsed.Subnet))
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

    private bool Set(Ipv4Subnet subnet, PeerEndpoint endpoint)
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

    /// <summary>Builds and publishes a table from the peer set; on failure the previous table stays.</summary>
    private bool Publish()
    {
        try
        {
            RouteTable table = RouteTable.Create(_peers
                .OrderBy(p => p.Key.Network)
                .ThenBy(p => p.Key.PrefixLength)
                .Select(p => new Route(p.Key, p.Value)));
            _routes.Publish(table);
            Volatile.Write(ref _routeCount, table.Count);
            return true;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            _logger.RouteTableRejected(e.Message);
            return false;
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
