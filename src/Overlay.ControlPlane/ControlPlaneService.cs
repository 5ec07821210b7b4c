using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Leases;
using Overlay.ControlPlane.Logging;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane;

/// <summary>
/// The daemon's single entry point to the control plane, used in flanneld's order: wait for a valid config,
/// acquire a lease, then run renewals, the own-key watch and the peer watch until shutdown. Call the three
/// methods in that order from one task; the state properties and <see cref="LeaseChanged"/> subscription are
/// thread-safe. <see cref="LeaseChanged"/> is raised on the control-plane task.
/// </summary>
public sealed class ControlPlaneService : IDisposable
{
    private static readonly TimeSpan s_configRetry = TimeSpan.FromSeconds(1);

    private readonly ISubnetRegistry _registry;
    private readonly IDisposable? _ownedRegistry;
    private readonly ControlPlaneOptions _options;
    private readonly RouteTableHolder _routes;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly EtcdHealthReporter _health;
    private LeaseManager? _leaseManager;
    private NetworkConfig? _leaseManagerConfig;
    private PeerWatcher? _peerWatcher;

    public ControlPlaneService(EtcdOptions etcd, ControlPlaneOptions options, RouteTableHolder routes, ILoggerFactory loggerFactory, TimeProvider time)
        : this(CreateRegistry(etcd, loggerFactory, time), options, routes, loggerFactory, time, Random.Shared, ownsRegistry: true)
    {
    }

    /// <summary>For tests: any registry, and a seeded <see cref="Random"/> for subnet choice.</summary>
    internal ControlPlaneService(ISubnetRegistry registry, ControlPlaneOptions options, RouteTableHolder routes, ILoggerFactory loggerFactory,
        TimeProvider time, Random random, bool ownsRegistry = false)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(routes);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (options.RenewMargin < ControlPlaneOptions.MinRenewMargin || options.RenewMargin > ControlPlaneOptions.MaxRenewMargin)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RenewMargin,
                "the renew margin must be 1 to 1439 minutes (-subnet-lease-renew-margin)");
        }
        _registry = registry;
        _ownedRegistry = ownsRegistry ? registry as IDisposable : null;
        _options = options;
        _routes = routes;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ControlPlaneService>();
        _time = time;
        _random = random;
        _health = registry is EtcdSubnetRegistry etcd
            ? new EtcdHealthReporter(loggerFactory.CreateLogger<EtcdHealthReporter>(), etcd.FailureContext, etcd.Endpoints)
            : new EtcdHealthReporter(loggerFactory.CreateLogger<EtcdHealthReporter>(), EtcdFailureContext.PlainText(registry.Prefix), "etcd");
    }

    /// <summary>What the control plane last warned about etcd, or null while etcd answers.</summary>
    public EtcdFailure? EtcdProblem => _health.CurrentProblem;

    /// <summary>Raised when the lease had to move to a different subnet (the old one was lost and taken).</summary>
    public event Action<Lease>? LeaseChanged;

    /// <summary>Whether the peer watch currently has a working etcd stream.</summary>
    public bool EtcdConnected => Volatile.Read(ref _peerWatcher)?.IsConnected ?? false;

    /// <summary>The etcd revision the published route table reflects.</summary>
    public long WatchRevision => Volatile.Read(ref _peerWatcher)?.Revision ?? 0;

    /// <summary>How many peer routes the published table holds.</summary>
    public int RouteCount => Volatile.Read(ref _peerWatcher)?.RouteCount ?? 0;

    /// <summary>The lease as last written (renewals move its expiration); null before acquisition.</summary>
    public Lease? CurrentLease => Volatile.Read(ref _leaseManager)?.Current;

    /// <summary>
    /// Reads <c>&lt;prefix&gt;/config</c> until it parses and validates, retrying every second forever (as
    /// flanneld does). Each distinct problem is logged once, naming the field and the fix.
    /// </summary>
    public async Task<NetworkConfig> WaitForConfigAsync(CancellationToken cancellationToken)
    {
        string? lastProblem = null;
        while (true)
        {
            string? problem;
            try
            {
                string json = await _registry.GetConfigAsync(cancellationToken).ConfigureAwait(false);
                _health.ReportSuccess();
                NetworkConfig config = NetworkConfigParser.Parse(json);
                foreach (string warning in config.Warnings)
                {
                    _logger.ConfigWarning(warning);
                }
                _logger.ConfigLoaded(config.Network.ToString(), config.SubnetLen, Ipv4.Format(config.SubnetMin), Ipv4.Format(config.SubnetMax), config.BackendPort);
                return config;
            }
            catch (NetworkConfigException e)
            {
                problem = e.Field + e.Message;
                if (problem != lastProblem)
                {
                    _logger.ConfigInvalid(e.Field, e.Message);
                }
            }
            catch (ConfigKeyMissingException e)
            {
                _health.ReportSuccess();
                problem = e.Message;
                if (problem != lastProblem)
                {
                    _logger.ConfigMissing(e.Message);
                }
            }
            catch (Exception e) when (LeaseManager.IsTransient(e, cancellationToken))
            {
                // The health reporter says once why etcd cannot be read; a config problem seen before stays remembered.
                _health.ReportFailure(e);
                problem = lastProblem;
            }
            lastProblem = problem;
            await Task.Delay(s_configRetry, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Acquires this node's lease (spec 1.6), retrying etcd errors every second. Throws
    /// <see cref="LeaseAcquisitionException"/> when no subnet is free or every creation race was lost.
    /// </summary>
    public async Task<Lease> AcquireLeaseAsync(NetworkConfig config, CancellationToken cancellationToken)
    {
        LeaseManager manager = LeaseManagerFor(config);
        return await manager.AcquireAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Keeps <paramref name="lease"/> (renewals, own-key watch) and mirrors the peers into the route table until
    /// cancelled. Never throws except <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task RunAsync(NetworkConfig config, Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(lease);
        LeaseManager manager = LeaseManagerFor(config);
        var peers = new PeerWatcher(_registry, lease.Subnet, config.BackendPort, _routes, _loggerFactory.CreateLogger<PeerWatcher>(), _time, _health);
        Volatile.Write(ref _peerWatcher, peers);
        void OnLeaseChanged(Lease changed)
        {
            peers.SetOwnSubnet(changed.Subnet);
            LeaseChanged?.Invoke(changed);
        }
        manager.LeaseChanged += OnLeaseChanged;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            Task keeping = manager.RunAsync(lease, stop.Token);
            Task watching = peers.RunAsync(stop.Token);
            Task first = await Task.WhenAny(keeping, watching).ConfigureAwait(false);
            // Either loop ending means cancellation (or a bug): stop the other one too, then surface the first outcome.
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(keeping.ContinueWith(_ => { }, TaskScheduler.Default), watching.ContinueWith(_ => { }, TaskScheduler.Default)).ConfigureAwait(false);
            await first.ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
        finally
        {
            manager.LeaseChanged -= OnLeaseChanged;
        }
    }

    /// <summary>Every lease under <c>&lt;prefix&gt;/subnets</c> as etcd has it now (for <c>overlayctl leases</c>).</summary>
    public Task<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken) => _registry.ListLeasesAsync(cancellationToken);

    public void Dispose() => _ownedRegistry?.Dispose();

    private LeaseManager LeaseManagerFor(NetworkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (_leaseManager is null || _leaseManagerConfig != config)
        {
            Volatile.Write(ref _leaseManager, new LeaseManager(_registry, config, _options.PublicIp, _options.SubnetFilePath, _options.RenewMargin,
                _loggerFactory.CreateLogger<LeaseManager>(), _time, _random, _health));
            _leaseManagerConfig = config;
        }
        return _leaseManager;
    }

    private static EtcdSubnetRegistry CreateRegistry(EtcdOptions etcd, ILoggerFactory loggerFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return new EtcdSubnetRegistry(etcd, loggerFactory.CreateLogger<EtcdSubnetRegistry>(), time);
    }
}
