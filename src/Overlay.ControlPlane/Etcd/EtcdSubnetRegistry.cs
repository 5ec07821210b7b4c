using System.Runtime.CompilerServices;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;
using Overlay.ControlPlane.Logging;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// <see cref="ISubnetRegistry"/> over dotnet-etcd (etcd v3 gRPC). Unary calls carry a deadline of
/// <see cref="EtcdOptions.CallTimeout"/>; the watch uses the raw duplex stream so start revision, compaction and
/// reconnects stay visible to the caller. Thread-safe.
/// </summary>
public sealed class EtcdSubnetRegistry : ISubnetRegistry, IDisposable
{
    /// <summary>flannel's lease TTL: 24 hours.</summary>
    public const long LeaseTtlSeconds = 24 * 60 * 60;

    // etcd's "require leader" metadata, as flannel's clientv3.WithRequireLeader sets it.
    private static readonly Metadata s_requireLeader = new() { { "hasleader", "true" } };

    private readonly EtcdClient _client;
    private readonly EtcdOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _configKey;
    private readonly string _subnetsPrefix;

    public EtcdSubnetRegistry(EtcdOptions options, ILogger<EtcdSubnetRegistry> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger;
        _time = time;
        Prefix = EtcdPath.Clean(options.Prefix);
        _configKey = SubnetKey.ConfigKey(Prefix);
        // The trailing slash keeps sibling keys such as "subnets.bak/..." out of the route table.
        _subnetsPrefix = SubnetKey.SubnetsPrefix(Prefix) + "/";
        Transport = EtcdTransport.Choose(options);
        FailureContext = EtcdFailureContext.For(options, Transport);
        Endpoints = string.Join(',', options.EndpointList());
        _client = EtcdClientFactory.Create(options, Transport, logger);
    }

    /// <summary>The endpoints as one comma-separated string, for log lines.</summary>
    public string Endpoints { get; }

    /// <summary>What <see cref="EtcdFailureClassifier"/> needs to explain this client's failures.</summary>
    public EtcdFailureContext FailureContext { get; }

    /// <summary>How the client dials etcd (TLS or plain text, which certificates).</summary>
    public EtcdTransport Transport { get; }

    public string Prefix { get; }

    /// <summary>The prefix every lease key starts with, including the trailing slash.</summary>
    public string SubnetsPrefix => _subnetsPrefix;

    // Deadlines are wall-clock transport timeouts, not lease time: they stay on the system clock even under a test clock.
    private DateTime Deadline => DateTime.UtcNow + _options.CallTimeout;

    public async Task<string> GetConfigAsync(CancellationToken cancellationToken)
    {
        RangeResponse response = await _client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(_configKey) },
            deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.Kvs.Count == 0
            ? throw new ConfigKeyMissingException(_configKey)
            : response.Kvs[0].Value.ToStringUtf8();
    }

    public async Task<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken)
    {
        var request = new RangeRequest
        {
            Key = ByteString.CopyFromUtf8(_subnetsPrefix),
            RangeEnd = PrefixRangeEnd(_subnetsPrefix),
        };
        RangeResponse response = await _client.GetAsync(request, deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        var leases = new List<SubnetLease>(response.Kvs.Count);
        foreach (KeyValue kv in response.Kvs)
        {
            KeyEvent entry = ToPut(kv);
            if (LeaseParser.TryParse(entry, out SubnetLease? lease, out string? problem))
            {
                leases.Add(lease);
            }
            else
            {
                _logger.LeaseSkipped(entry.Key, problem);
            }
        }
        return new LeaseListing(leases, response.Header.Revision);
    }

    public async Task<KeyLookup> GetKeyAsync(string key, CancellationToken cancellationToken)
    {
        RangeResponse response = await _client.GetAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(key) },
            deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new KeyLookup(response.Kvs.Count == 0 ? null : ToPut(response.Kvs[0]), response.Header.Revision);
    }

    public async Task<LeaseWrite?> CreateLeaseAsync(Ipv4Subnet subnet, LeaseAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        string key = SubnetKey.Build(Prefix, subnet);
        LeaseGrantResponse grant = await GrantAsync(cancellationToken).ConfigureAwait(false);
        var txn = new TxnRequest();
        txn.Compare.Add(new Compare
        {
            Key = ByteString.CopyFromUtf8(key),
            Target = Compare.Types.CompareTarget.Version,
            Result = Compare.Types.CompareResult.Equal,
            Version = 0,
        });
        txn.Success.Add(new RequestOp { RequestPut = PutWithLease(key, attributes, grant.ID) });
        TxnResponse response;
        try
        {
            response = await _client.TransactionAsync(txn, deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
            throw;
        }
        if (!response.Succeeded)
        {
            await RevokeQuietlyAsync(grant.ID).ConfigureAwait(false);
            return null;
        }
        return new LeaseWrite(grant.ID, _time.GetUtcNow().AddSeconds(grant.TTL), response.Header.Revision);
    }

    public async Task<LeaseWrite> RenewLeaseAsync(string key, LeaseAttributes attributes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        LeaseGrantResponse grant = await GrantAsync(cancellationToken).ConfigureAwait(false);
        PutResponse put = await _client.PutAsync(PutWithLease(key, attributes, grant.ID), deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new LeaseWrite(grant.ID, _time.GetUtcNow().AddSeconds(grant.TTL), put.Header.Revision);
    }

    public async Task DeleteKeyAsync(string key, CancellationToken cancellationToken) =>
        await _client.DeleteAsync(new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) },
            deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);

    public async Task<TimeSpan?> GetTimeToLiveAsync(long etcdLeaseId, CancellationToken cancellationToken)
    {
        LeaseTimeToLiveResponse response = await _client.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = etcdLeaseId },
            deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.TTL < 0 ? null : TimeSpan.FromSeconds(response.TTL);
    }

    public async IAsyncEnumerable<WatchBatch> WatchAsync(string key, bool isPrefix, long startRevision,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call =
            _client.GetConnection().WatchClient.Watch(s_requireLeader, cancellationToken: cancellationToken);
        var create = new WatchCreateRequest { Key = ByteString.CopyFromUtf8(key), StartRevision = startRevision };
        if (isPrefix)
        {
            create.RangeEnd = PrefixRangeEnd(key);
        }
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, cancellationToken).ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
        {
            WatchResponse response = call.ResponseStream.Current;
            if (response.CompactRevision != 0)
            {
                throw new WatchResyncRequiredException(
                    $"revision {startRevision} was compacted (compacted up to {response.CompactRevision})", response.CompactRevision);
            }
            if (response.Canceled)
            {
                throw new WatchResyncRequiredException($"etcd cancelled the watch: {response.CancelReason}", 0);
            }
            var events = new List<KeyEvent>(response.Events.Count);
            foreach (Event change in response.Events)
            {
                events.Add(change.Type == Event.Types.EventType.Delete
                    ? new KeyEvent(KeyEventKind.Delete, change.Kv.Key.ToStringUtf8(), ReadOnlyMemory<byte>.Empty, 0, change.Kv.ModRevision)
                    : ToPut(change.Kv));
            }
            yield return new WatchBatch(events, response.Header.Revision, response.Created);
        }
        throw new WatchInterruptedException();
    }

    public void Dispose() => _client.Dispose();

    private async Task<LeaseGrantResponse> GrantAsync(CancellationToken cancellationToken) =>
        await _client.LeaseGrantAsync(new LeaseGrantRequest { TTL = LeaseTtlSeconds },
            deadline: Deadline, cancellationToken: cancellationToken).ConfigureAwait(false);

    private async Task RevokeQuietlyAsync(long etcdLeaseId)
    {
        try
        {
            await _client.LeaseRevokeAsync(new LeaseRevokeRequest { ID = etcdLeaseId }, deadline: Deadline).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            // An unrevoked grant holds no key and simply expires in 24 h.
            _logger.RevokeFailed(etcdLeaseId, e.Status.Detail);
        }
    }

    private static PutRequest PutWithLease(string key, LeaseAttributes attributes, long etcdLeaseId) => new()
    {
        Key = ByteString.CopyFromUtf8(key),
        Value = ByteString.CopyFrom(attributes.ToUtf8()),
        Lease = etcdLeaseId,
    };

    private static KeyEvent ToPut(KeyValue kv) =>
        new(KeyEventKind.Put, kv.Key.ToStringUtf8(), kv.Value.Memory, kv.Lease, kv.ModRevision);

    /// <summary>etcd's prefix range end: the key with its last byte incremented (trailing 0xff bytes dropped).</summary>
    internal static ByteString PrefixRangeEnd(string prefix)
    {
        byte[] end = System.Text.Encoding.UTF8.GetBytes(prefix);
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }
        return ByteString.CopyFrom(0);
    }
}
