using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Overlay.Daemon;
using Overlay.Daemon.Hosting;
using Overlay.Daemon.Options;

// Exit codes follow flanneld: 2 for a command-line error, 1 for a setup failure, 0 for a clean stop.
DaemonOptions options;
try
{
    options = DaemonOptions.Parse(args, Environment.GetEnvironmentVariable);
    if (options.Cpus.Count > 0)
    {
        IReadOnlyList<int> allowed;
        try
        {
            allowed = Overlay.Linux.CpuAffinity.AllowedCpus();
        }
        catch (Overlay.Linux.SystemCallException e)
        {
            throw new OptionsException("cpus", $"-cpus cannot be checked: {e.Message}; leave -cpus empty to let the scheduler place the forwarding threads");
        }
        options.CheckCpusAvailable(allowed);
    }
}
catch (HelpRequestedException)
{
    Console.Out.Write(DaemonFlags.Create().Usage("overlayd"));
    return 0;
}
catch (UnsupportedFlagException e)
{
    Console.Error.WriteLine($"overlayd: {e.Message}");
    return 2;
}
catch (UsageException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.Write(DaemonFlags.Create().Usage("overlayd"));
    return 2;
}
catch (OptionsException e)
{
    Console.Error.WriteLine($"overlayd: {e.Message}");
    return 1;
}

if (options.ShowVersion)
{
    Console.Out.WriteLine(VersionInfo.Version);
    return 0;
}

using ILoggerFactory loggerFactory = LoggerFactory.Create(logging =>
{
    logging.SetMinimumLevel(options.Verbosity > 0 ? LogLevel.Debug : LogLevel.Information);
    logging.AddFilter("Microsoft", LogLevel.Warning);
    logging.AddFilter("Grpc", LogLevel.Warning);
    logging.AddSimpleConsole(console =>
    {
        console.SingleLine = true;
        console.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        console.UseUtcTimestamp = true;
        console.ColorBehavior = LoggerColorBehavior.Disabled;
    });
});

using var stop = new CancellationTokenSource();
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);

try
{
    return await new OverlayDaemon(options, loggerFactory).RunAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // Stopped before forwarding began (for example while waiting for a valid config).
    return 0;
}
catch (StartRefusedException e)
{
    Overlay.Daemon.Log.DaemonLog.StartRefused(loggerFactory.CreateLogger("overlayd"), e.Message);
    return 1;
}
catch (Exception e) when (e is OptionsException or InterfaceSelectionException or Overlay.ControlPlane.Etcd.EtcdSettingsException)
{
    loggerFactory.CreateLogger("overlayd").LogCritical("{Reason}", e.Message);
    return 1;
}
catch (Exception e)
{
    loggerFactory.CreateLogger("overlayd").LogCritical(e, "setup failed: {Reason}", e.Message);
    return 1;
}

void Cancel(PosixSignalContext context)
{
    // Keep the process alive: shutdown is ours to finish (device removal, final counters).
    context.Cancel = true;
    stop.Cancel();
}
