using System.Threading.Channels;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Logging;

namespace Overlay.ControlPlane.Leases;

// Watching the own key: read it once, then watch from that revision + 1; after compaction or a cancelled watch,
// read it again (its current state stands in for the missed events); after a broken stream, resume with backoff.
public sealed partial class LeaseManager
{
    private async Task WatchOwnKeyAsync(Lease lease, ChannelWriter<OwnKeyChange> changes, CancellationToken cancellationToken)
    {
        var backoff = new ExponentialBackoff();
        bool needRead = true;
        bool lost = false;
        long nextRevision = 0;
        string subnet = lease.Subnet.ToString();
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (needRead)
                {
                    KeyLookup lookup = await _registry.GetKeyAsync(lease.Key, cancellationToken).ConfigureAwait(false);
                    _health.ReportSuccess();
                    KeyEvent state = lookup.Current ?? new KeyEvent(KeyEventKind.Delete, lease.Key, ReadOnlyMemory<byte>.Empty, 0, lookup.Revision);
                    await changes.WriteAsync(new OwnKeyChange(lease.Key, state), cancellationToken).ConfigureAwait(false);
                    nextRevision = lookup.Revision + 1;
                    needRead = false;
                }
                await foreach (WatchBatch batch in _registry.WatchAsync(lease.Key, isPrefix: false, nextRevision, cancellationToken).ConfigureAwait(false))
                {
                    _health.ReportSuccess();
                    if (lost)
                    {
                        _logger.OwnWatchRegained(subnet, nextRevision - 1);
                        lost = false;
                    }
                    backoff.Reset();
                    foreach (KeyEvent change in batch.Events)
                    {
                        await changes.WriteAsync(new OwnKeyChange(lease.Key, change), cancellationToken).ConfigureAwait(false);
                        nextRevision = change.ModRevision + 1;
                    }
                }
            }
            catch (WatchResyncRequiredException e)
            {
                _logger.OwnWatchResync(subnet, e.Message);
                needRead = true;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                EtcdFailure failure = _health.ReportFailure(e);
                if (!lost)
                {
                    _logger.OwnWatchLost(subnet, failure.Cause);
                    lost = true;
                }
                await Task.Delay(backoff.Next(), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
