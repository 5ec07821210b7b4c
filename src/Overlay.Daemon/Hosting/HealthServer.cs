using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// flanneld's health endpoints on -healthz-ip:-healthz-port, answered to any method:
/// <c>/healthz</c> is 200 "flanneld is running" from the start; <c>/readyz</c> is 503 "flanneld is not ready yet"
/// until forwarding is up (after subnet.env was written or its failure logged, as flanneld carries on), then 200
/// "flanneld is ready". The bodies keep flanneld's words
/// because probes and scripts written for flanneld match on them. <c>/metrics</c> serves Prometheus text.
/// </summary>
internal sealed class HealthServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile bool _ready;

    private HealthServer(WebApplication app) => _app = app;

    public void MarkReady() => _ready = true;

    public static async Task<HealthServer> StartAsync(IPAddress address, int port, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(address, port));
        WebApplication app = builder.Build();
        var server = new HealthServer(app);
        app.Map("/healthz", () => Results.Text("flanneld is running"));
        app.Map("/readyz", () => server._ready
            ? Results.Text("flanneld is ready")
            : Results.Text("flanneld is not ready yet", statusCode: StatusCodes.Status503ServiceUnavailable));
        // prometheus-net exports every System.Diagnostics.Metrics meter, including the daemon's "Overlay" meter.
        app.MapMetrics("/metrics");
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        Log.DaemonLog.HealthServing(loggerFactory.CreateLogger<HealthServer>(), address.ToString(), port);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
