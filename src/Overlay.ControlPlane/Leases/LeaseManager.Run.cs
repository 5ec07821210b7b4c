using System.Threading.Channels;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Logging;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

// Keeping the lease: one loop that sleeps until renewal time or until the own-key watch reports a change.
public sealed partial class LeaseManager
{
    private static readonly TimeSpan s_renewRetry = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Renews <paramref name="lease"/> at expiry minus the renew margin (retrying every minute on failure) and
    /// follows its key until cancelled. Never throws except <see cref="OperationCanceledException"/>.
    /// </summary>
    public async Task RunAsync(Lease lease, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        Volatile.Write(ref _current, lease);
        var changes = Channel.CreateUnbounded<OwnKeyChange>(new UnboundedChannelOptions { SingleWriter = true });
        CancellationTokenSource watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task watch = WatchOwnKeyAsync(lease, changes.Writer, watchStop.Token);
        DateTimeOffset renewAt = lease.Expiration - _renewMargin;
        try
        {
            while (true)
            {
                bool changed = await WaitForChangeAsync(changes.Reader, renewAt, cancellationToken).ConfigureAwait(false);
                Lease current = Current!;
                if (!changed)
                {
                    renewAt = await RenewAsync(current, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                while (changes.Reader.TryRead(out OwnKeyChange? change))
                {
                    if (change.Key != current.Key)
                    {
                        continue;
                    }
                    Lease? kept = await FollowAsync(current, change.Change, cancellationToken).ConfigureAwait(false);
                    if (kept is null)
                    {
                        Lease replacement = await ReacquireAsync(current, cancellationToken).ConfigureAwait(false);
                        Volatile.Write(ref _current, replacement);
                        if (replacement.Key != current.Key)
                        {
                            await StopAsync(watchStop, watch).ConfigureAwait(false);
                            watchStop.Dispose();
                            watchStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                            watch = WatchOwnKeyAsync(replacement, changes.Writer, watchStop.Token);
                            LeaseChanged?.Invoke(replacement);
                        }
                        kept = replacement;
                    }
                    Volatile.Write(ref _current, kept);
                    current = kept;
                    renewAt = kept.Expiration - _renewMargin;
                    _logger.LeaseRescheduled(kept.Subnet.ToString(), kept.Expiration, renewAt);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            // gRPC reports our own cancellation as RpcException(Cancelled); callers expect the usual type.
            throw new OperationCanceledException("lease manager stopped", e, cancellationToken);
        }
        finally
        {
            await StopAsync(watchStop, watch).ConfigureAwait(false);
            watchStop.Dispose();
        }
    }

    /// <summary>True when a key change is waiting; false when <paramref name="renewAt"/> came first.</summary>
    private async Task<bool> WaitForChangeAsync(ChannelReader<OwnKeyChange> reader, DateTimeOffset renewAt, CancellationToken cancellationToken)
    {
        if (reader.TryPeek(out _))
        {
            return true;
        }
        TimeSpan wait = renewAt - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            return false;
        }
        using var sleep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task timer = Task.Delay(wait, _time, sleep.Token);
        Task<bool> ready = reader.WaitToReadAsync(sleep.Token).AsTask();
        Task first = await Task.WhenAny(timer, ready).ConfigureAwait(false);
        await sleep.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return first == ready && reader.TryPeek(out _);
    }

    /// <summary>Renews and returns the next renewal time; on failure, a minute from now.</summary>
    private async Task<DateTimeOffset> RenewAsync(Lease current, CancellationToken cancellationToken)
    {
        try
        {
            LeaseWrite write = await _registry.RenewLeaseAsync(current.Key, _attributes, cancellationToken).ConfigureAwait(false);
            Lease renewed = current with { Expiration = write.Expiration };
            Volatile.Write(ref _current, renewed);
            _health.ReportSuccess();
            _renewFailing = false;
            _logger.LeaseRenewed(current.Subnet.ToString(), write.Expiration);
            return write.Expiration - _renewMargin;
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            EtcdFailure failure = _health.ReportFailure(e);
            if (!_renewFailing)
            {
                // The lease's own warning, once per run of failures: the health reporter has named the cause and the fix.
                _logger.RenewFailed(current.Subnet.ToString(), failure.Cause);
                _renewFailing = true;
            }
            return _time.GetUtcNow() + s_renewRetry;
        }
    }

    /// <summary>
    /// Applies a change of the own key: a Put carrying our PublicIP re-reads the TTL (flanneld's reschedule).
    /// Returns null when the lease is lost: deleted, or now naming another node.
    /// </summary>
    private async Task<Lease?> FollowAsync(Lease current, KeyEvent change, CancellationToken cancellationToken)
    {
        if (change.Kind == KeyEventKind.Delete)
        {
            _logger.LeaseDeleted(current.Subnet.ToString());
            return null;
        }
        if (!LeaseAttributes.TryParse(change.Value.Span, out LeaseAttributes? attributes, out _) || attributes!.PublicIp != _attributes.PublicIp)
        {
            _logger.LeaseTaken(current.Subnet.ToString(), attributes is null ? "(unreadable)" : Ipv4.Format(attributes.PublicIp));
            return null;
        }
        try
        {
            TimeSpan? left = await _registry.GetTimeToLiveAsync(change.EtcdLeaseId, cancellationToken).ConfigureAwait(false);
            _health.ReportSuccess();
            // No etcd lease (a reservation, or one already gone): flanneld's expiry is now - 1 s, so it renews at once.
            return current with { Expiration = _time.GetUtcNow() + (left ?? TimeSpan.FromSeconds(-1)) };
        }
        catch (Exception e) when (IsTransient(e, cancellationToken))
        {
            _health.ReportFailure(e);
            return current;
        }
    }

    /// <summary>
    /// The lease is gone: take the same subnet back when it is still free, else acquire another. Retries until it
    /// has one (forwarding goes on meanwhile with the old address).
    /// </summary>
    private async Task<Lease> ReacquireAsync(Lease lost, CancellationToken cancellationToken)
    {
        string? lastError = null;
        while (true)
        {
            try
            {
                LeaseWrite? same = await _registry.CreateLeaseAsync(lost.Subnet, _attributes, cancellationToken).ConfigureAwait(false);
                _health.ReportSuccess();
                if (same is not null)
                {
                    _logger.LeaseRecreated(lost.Subnet.ToString());
                    return lost with { Expiration = same.Expiration };
                }
                Lease other = await AcquireOnceAsync(usePreviousSubnet: false, cancellationToken).ConfigureAwait(false);
                if (other.Subnet != lost.Subnet)
                {
                    _logger.LeaseReplaced(lost.Subnet.ToString(), other.Subnet.ToString());
                }
                return other;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                _health.ReportFailure(e);
            }
            catch (LeaseAcquisitionException e)
            {
                if (e.Message != lastError)
                {
                    _logger.AcquireFailed(e.Message);
                    lastError = e.Message;
                }
            }
            await Task.Delay(s_acquireRetry, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task StopAsync(CancellationTokenSource stop, Task watch)
    {
        await stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await watch.ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException || stop.IsCancellationRequested)
        {
        }
    }
}
