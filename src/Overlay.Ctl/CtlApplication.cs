using Overlay.Ctl.Commands;
using Overlay.Ctl.Daemon;

namespace Overlay.Ctl;

/// <summary>overlayctl's entry point, with its console streams passed in so tests can run it in-process.</summary>
internal static class CtlApplication
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, Func<Stream> openStdout, CancellationToken cancellationToken)
    {
        CtlArguments parsed;
        try
        {
            parsed = CtlArguments.Parse(args);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"overlayctl: {e.Message}\n\n{CtlArguments.Usage}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }
        if (parsed.HelpRequested)
        {
            await stdout.WriteLineAsync(CtlArguments.Usage).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        try
        {
            return parsed.Command switch
            {
                "routes" => await DriftCommands.RoutesAsync(parsed, stdout, stderr, cancellationToken).ConfigureAwait(false),
                "leases" => await DriftCommands.LeasesAsync(parsed, stdout, stderr, cancellationToken).ConfigureAwait(false),
                "stats" => await StatsCommand.RunAsync(parsed, stdout, cancellationToken).ConfigureAwait(false),
                "capture" => await CaptureCommand.RunAsync(parsed, openStdout, stderr, cancellationToken).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{parsed.Command}'"),
            };
        }
        catch (DaemonUnreachableException e)
        {
            await stderr.WriteLineAsync($"overlayctl: {e.Message}").ConfigureAwait(false);
            return ExitCodes.DaemonUnreachable;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }
}
