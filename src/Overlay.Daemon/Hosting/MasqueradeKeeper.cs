using Microsoft.Extensions.Logging;
using Overlay.Daemon.Log;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// -ip-masq as flanneld does it: flannel's chains installed before subnet.env is written, checked every
/// -iptables-resync seconds and rebuilt whole when anything is missing, removed on stop.
/// </summary>
internal sealed class MasqueradeKeeper : IAsyncDisposable
{
    private readonly MasqueradeRules _rules;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _resync;

    private MasqueradeKeeper(MasqueradeRules rules, TimeSpan period, ILogger logger)
    {
        _rules = rules;
        _logger = logger;
        _resync = ResyncAsync(period, _stop.Token);
    }

    public static MasqueradeKeeper Install(Ipv4Subnet network, Ipv4Subnet subnet, bool fullyRandom, bool forwardRules,
        bool preferNftables, TimeSpan period, ILogger logger)
    {
        var rules = new MasqueradeRules(network, subnet, new MasqueradeOptions
        {
            FullyRandom = fullyRandom,
            ForwardRules = forwardRules,
            PreferNftables = preferNftables,
        });
        rules.RemoveLeftovers();
        rules.Install();
        logger.MasqueradeInstalled(rules.Backend.ToString(), network.ToString(), subnet.ToString());
        return new MasqueradeKeeper(rules, period, logger);
    }

    private async Task ResyncAsync(TimeSpan period, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    if (_rules.Resync())
                    {
                        _logger.MasqueradeRepaired();
                    }
                }
                catch (MasqueradeException e)
                {
                    _logger.MasqueradeResyncFailed(e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _resync.ConfigureAwait(false);
        try
        {
            _rules.Remove();
        }
        catch (MasqueradeException e)
        {
            _logger.MasqueradeResyncFailed(e.Message);
        }
        _stop.Dispose();
    }
}
