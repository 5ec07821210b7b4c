using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.Support;

/// <summary>
/// The real registry with two test handles: <see cref="BreakWatches"/> cuts every open watch stream and holds
/// new ones until <see cref="ResumeWatches"/> (so a test can change and compact etcd while the watcher is away),
/// and <see cref="BeforeCreate"/> runs just before a create transaction (to stage a lost race).
/// </summary>
public sealed class InterruptibleRegistry(ISubnetRegistry inner) : ISubnetRegistry
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _open = Opened();
    private CancellationTokenSource _break = new();

    public Func<Ipv4Subnet, Task>? BeforeCreate { get; set; }

    /// <summary>Start revision of every watch call, in order.</summary>
    public ConcurrentQueue<long> WatchStarts { get; } = new();

    public string Prefix => inner.Prefix;

    public string SubnetsPrefix => inner.SubnetsPrefix;

    public void BreakWatches()
    {
        lock (_lock)
        {
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _break.Cancel();
            _break = new CancellationTokenSource();
        }
    }

    public void ResumeWatches()
    {
        lock (_lock)
        {
            _open.TrySetResult();
        }
    }

    public Task<string> GetConfigAsync(CancellationToken cancellationToken) => inner.GetConfigAsync(cancellationToken);

    public Task<LeaseListing> ListLeasesAsync(CancellationToken cancellationToken) => inner.ListLeasesAsync(cancellationToken);

    public Task<KeyLookup> GetKeyAsync(string key, CancellationToken cancellationToken) => inner.GetKeyAsync(key, cancellationToken);

    public async Task<LeaseWrite?> CreateLeaseAsync(Ipv4Subnet subnet, LeaseAttributes attributes, CancellationToken cancellationToken)
    {
        if (BeforeCreate is { } hook)
        {
            await hook(subnet);
        }
        return await inner.CreateLeaseAsync(subnet, attributes, cancellationToken);
    }

    public Task<LeaseWrite> RenewLeaseAsync(string key, LeaseAttributes attributes, CancellationToken cancellationToken) =>
        inner.RenewLeaseAsync(key, attributes, cancellationToken);

    public Task DeleteKeyAsync(string key, CancellationToken cancellationToken) => inner.DeleteKeyAsync(key, cancellationToken);

    public Task<TimeSpan?> GetTimeToLiveAsync(long etcdLeaseId, CancellationToken cancellationToken) =>
        inner.GetTimeToLiveAsync(etcdLeaseId, cancellationToken);

    public async IAsyncEnumerable<WatchBatch> WatchAsync(string key, bool isPrefix, long startRevision,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Task open;
        CancellationToken broken;
        lock (_lock)
        {
            open = _open.Task;
            broken = _break.Token;
        }
        await open.WaitAsync(cancellationToken);
        WatchStarts.Enqueue(startRevision);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, broken);
        await using IAsyncEnumerator<WatchBatch> batches = inner.WatchAsync(key, isPrefix, startRevision, linked.Token).GetAsyncEnumerator(linked.Token);
        while (true)
        {
            bool more;
            try
            {
                more = await batches.MoveNextAsync();
            }
            catch (Exception) when (broken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new WatchInterruptedException("the test broke the watch stream");
            }
            if (!more)
            {
                yield break;
            }
            yield return batches.Current;
        }
    }

    private static TaskCompletionSource Opened()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }
}
