using Microsoft.Extensions.Logging;
using Overlay.Daemon.Log;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Masquerade;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// -ip-masq as flanneld does it: flannel's chains installed before subnet.env is written, checked every
/// -iptables-resync seconds and rebuilt whole when anything is missing, rebuilt for the new subnet when the lease
/// moves, removed on stop.
/// </summary>
internal sealed class MasqueradeKeeper : IAsyncDisposable
{
    private readonly Ipv4Subnet _network;
    private readonly MasqueradeOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    // The resync timer and a lease move both touch the rules; one at a time.
    private readonly Lock _gate = new();
    private readonly Task _resync;
    private MasqueradeRules _rules;

    private MasqueradeKeeper(Ipv4Subnet network, MasqueradeOptions options, MasqueradeRules rules, TimeSpan period, ILogger logger)
    {
        _network = network;
        _options = options;
        _rules = rules;
        _logger = logger;
        _resync = ResyncAsync(period, _stop.Token);
    }

    public static MasqueradeKeeper Install(Ipv4Subnet network, Ipv4Subnet subnet, bool fullyRandom, bool forwardRules,
        bool preferNftables, TimeSpan period, ILogger logger)
    {
        var options = new MasqueradeOptions
        {
            FullyRandom = fullyRandom,
            ForwardRules = forwardRules,
            PreferNftables = preferNftables,
        };
        var rules = new MasqueradeRules(network, subnet, options);
        rules.RemoveLeftovers();
        rules.Install();
        logger.MasqueradeInstalled(rules.Backend.ToString(), network.ToString(), subnet.ToString());
        return new MasqueradeKeeper(network, options, rules, period, logger);
    }

    /// <summary>The node subnet the installed rules exempt from masquerading.</summary>
    public Ipv4Subnet Subnet
    {
        get
        {
            lock (_gate)
            {
                return _rules.Node;
            }
        }
    }

    /// <summary>The lease moved: the old subnet's rules go, the new subnet's are installed in their place.</summary>
    public void MoveTo(Ipv4Subnet subnet)
    {
        lock (_gate)
        {
            if (_rules.Node == subnet)
            {
                return;
            }
            _rules.Remove();
            _rules = new MasqueradeRules(_network, subnet, _options);
            _rules.Install();
        }
        _logger.MasqueradeInstalled(_rules.Backend.ToString(), _network.ToString(), subnet.ToString());
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
                    bool repaired;
                    lock (_gate)
                    {
                        repaired = _rules.Resync();
                    }
                    if (repaired)
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
            lock (_gate)
            {
                _rules.Remove();
            }
        }
        catch (MasqueradeException e)
        {
            _logger.MasqueradeResyncFailed(e.Message);
        }
        _stop.Dispose();
    }
}
