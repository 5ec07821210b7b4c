using Overlay.Ctl;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // The first Ctrl+C ends a capture or stats loop cleanly (the pcap file stays whole); a second one kills.
    e.Cancel = !cancel.IsCancellationRequested;
    cancel.Cancel();
};
return await CtlApplication.RunAsync(args, Console.Out, Console.Error, Console.OpenStandardOutput, cancel.Token).ConfigureAwait(false);
