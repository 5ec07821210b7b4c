using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// flannel's etcd schema as operations. Every call has a deadline and throws on etcd errors (RpcException and
/// friends); callers decide whether to retry. Thread-safe: calls may run concurrently.
/// </summary>
public interface ISubnetRegistry
{
    /// <summary>The normalised key prefix (e.g. "/coreos.com/network").</summary>
    string Prefix { get; }

    /// <summary>The prefix every lease key starts with, e.g. "/coreos.com/network/subnets/".</summary>
    string SubnetsPrefix { get; }

    /// <summary>The raw config document; throws <see cref="ConfigKeyMissingException"/> when the key is absent.</summary>
    Task<string> GetConfigAsync(CancellationToken cancellationToken);

    /// <summary>Every lease under <c>&lt;prefix&gt;/subnets/</c>; malformed keys or values are skipped with a warning.</summary>
    Task<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken);

    /// <summary>One key's current state.</summary>
    Task<KeyLookup> GetKeyAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// flannel's create: grant a 24 h lease, then put the key with it only if the key does not exist. Returns null
    /// ("already exists") when another writer holds the key; the unused grant is revoked.
    /// </summary>
    Task<LeaseWrite?> CreateLeaseAsync(Ipv4Subnet subnet, LeaseAttributes attributes, CancellationToken cancellationToken);

    /// <summary>flannel's renew: grant a new 24 h lease and put the key with it, unconditionally.</summary>
    Task<LeaseWrite> RenewLeaseAsync(string key, LeaseAttributes attributes, CancellationToken cancellationToken);

    Task DeleteKeyAsync(string key, CancellationToken cancellationToken);

    /// <summary>Remaining time of an etcd lease; null when it does not exist (etcd's TTL -1, also for ID 0).</summary>
    Task<TimeSpan?> GetTimeToLiveAsync(long etcdLeaseId, CancellationToken cancellationToken);

    /// <summary>
    /// Watches a key, or every key under a prefix, from <paramref name="startRevision"/>, one batch per etcd
    /// response. Ends by throwing: <see cref="WatchResyncRequiredException"/> (compacted or cancelled),
    /// <see cref="WatchInterruptedException"/> (stream closed), or a transport error.
    /// </summary>
    IAsyncEnumerable<WatchBatch> WatchAsync(string key, bool isPrefix, long startRevision, CancellationToken cancellationToken);
}
