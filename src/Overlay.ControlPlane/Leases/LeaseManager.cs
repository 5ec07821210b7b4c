using Grpc.Core;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Logging;
using Overlay.ControlPlane.SubnetEnv;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

/// <summary>
/// This node's subnet lease, as flanneld manages it: acquire (reuse by PublicIP, else the previous subnet from the
/// subnet file, else allocate), renew before expiry, and watch the own key. Unlike flanneld it survives a lost
/// creation race (it picks another subnet) and a deleted key (it re-creates the lease, the same subnet when still
/// free, raising <see cref="LeaseChanged"/> only if the subnet had to change).
/// Acquire and Run are called one after the other from one task; <see cref="Current"/> may be read from any thread.
/// </summary>
public sealed partial class LeaseManager
{
    /// <summary>How many creation races one acquisition may lose before giving up.</summary>
    public const int MaxCreateAttempts = 10;

    private static readonly TimeSpan s_acquireRetry = TimeSpan.FromSeconds(1);

    private readonly ISubnetRegistry _registry;
    private readonly NetworkConfig _config;
    private readonly LeaseAttributes _attributes;
    private readonly string? _subnetFilePath;
    private readonly TimeSpan _renewMargin;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly EtcdHealthReporter _health;
    private Lease? _current;
    private bool _renewFailing;

    public LeaseManager(ISubnetRegistry registry, NetworkConfig config, uint publicIp, string? subnetFilePath, TimeSpan renewMargin,
        ILogger logger, TimeProvider time, Random random, EtcdHealthReporter? health = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(config);
        _registry = registry;
        _config = config;
        _attributes = new LeaseAttributes(publicIp);
        _subnetFilePath = subnetFilePath;
        _renewMargin = renewMargin;
        _logger = logger;
        _time = time;
        _random = random;
        _health = health ?? new EtcdHealthReporter(logger, EtcdFailureContext.PlainText(registry.Prefix), "etcd");
    }

    /// <summary>Raised (on the Run task) when the lease moved to a different subnet; the daemon re-addresses the TUN.</summary>
    public event Action<Lease>? LeaseChanged;

    public Lease? Current => Volatile.Read(ref _current);

    public uint PublicIp => _attributes.PublicIp;

    /// <summary>
    /// Acquires a lease, retrying etcd errors every second until cancelled. Throws
    /// <see cref="LeaseAcquisitionException"/> when the range is full or every creation race was lost.
    /// </summary>
    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                Lease lease = await AcquireOnceAsync(usePreviousSubnet: true, cancellationToken).ConfigureAwait(false);
                _health.ReportSuccess();
                Volatile.Write(ref _current, lease);
                return lease;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                _health.ReportFailure(e);
            }
            await Task.Delay(s_acquireRetry, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One pass of flanneld's acquisition (spec 1.6), retrying only lost creation races.</summary>
    internal async Task<Lease> AcquireOnceAsync(bool usePreviousSubnet, CancellationToken cancellationToken)
    {
        var lostRaces = new List<Ipv4Subnet>();
        for (int attempt = 1; attempt <= MaxCreateAttempts; attempt++)
        {
            LeaseListing listing = await _registry.ListLeasesAsync(cancellationToken).ConfigureAwait(false);
            var taken = new List<Ipv4Subnet>(listing.Leases.Select(l => l.Subnet));

            SubnetLease? mine = listing.Leases.FirstOrDefault(l => l.PublicIp == _attributes.PublicIp);
            if (mine is not null)
            {
                if (IsReusable(mine))
                {
                    LeaseWrite renewed = await _registry.RenewLeaseAsync(mine.Key, _attributes, cancellationToken).ConfigureAwait(false);
                    _logger.LeaseReused(mine.Subnet.ToString(), Ipv4.Format(_attributes.PublicIp));
                    return new Lease(mine.Subnet, _attributes.PublicIp, renewed.Expiration, mine.Key);
                }
                _logger.IncompatibleLeaseDeleted(mine.Key, Ipv4.Format(_attributes.PublicIp), _config.SubnetLen,
                    Ipv4.Format(_config.SubnetMin), Ipv4.Format(_config.SubnetMax));
                await _registry.DeleteKeyAsync(mine.Key, cancellationToken).ConfigureAwait(false);
                taken.Remove(mine.Subnet);
            }
            taken.AddRange(lostRaces);

            Ipv4Subnet? previous = usePreviousSubnet && _subnetFilePath is not null ? SubnetEnvFile.ReadPreviousSubnet(_subnetFilePath) : null;
            bool reusePrevious = previous is Ipv4Subnet p && _config.IsCompatible(p) && !taken.Contains(p);
            Ipv4Subnet candidate = reusePrevious
                ? previous!.Value
                : SubnetAllocator.Pick(_config, taken, _random)
                  ?? throw new LeaseAcquisitionException(
                      $"out of subnets: every /{_config.SubnetLen} from {Ipv4.Format(_config.SubnetMin)} to {Ipv4.Format(_config.SubnetMax)} is leased; widen SubnetMin/SubnetMax or remove stale leases");

            LeaseWrite? created = await _registry.CreateLeaseAsync(candidate, _attributes, cancellationToken).ConfigureAwait(false);
            if (created is not null)
            {
                if (reusePrevious)
                {
                    _logger.PreviousSubnetReused(candidate.ToString(), _subnetFilePath!);
                }
                else
                {
                    _logger.SubnetAllocated(candidate.ToString());
                }
                return new Lease(candidate, _attributes.PublicIp, created.Expiration, SubnetKey.Build(_registry.Prefix, candidate));
            }
            _logger.CreateRaceLost(candidate.ToString(), attempt);
            lostRaces.Add(candidate);
        }
        throw new LeaseAcquisitionException($"lost the race for a free subnet {MaxCreateAttempts} times in a row; other nodes keep taking the same subnets");
    }

    // A key we did not write in canonical form, or one with an IPv6 part, would not be ours to renew as is.
    private bool IsReusable(SubnetLease lease) =>
        _config.IsCompatible(lease.Subnet) && lease.ParsedKey.IsCanonical && lease.ParsedKey.Ipv6Subnet is null;

    /// <summary>Errors worth retrying: etcd unreachable or slow, a broken stream. Not cancellation, not our own bugs.</summary>
    internal static bool IsTransient(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        RpcException rpc => !(rpc.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested),
        WatchInterruptedException or IOException or HttpRequestException or TimeoutException => true,
        _ => false,
    };
}
