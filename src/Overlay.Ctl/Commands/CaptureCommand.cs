using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using Overlay.Ctl.Daemon;

namespace Overlay.Ctl.Commands;

/// <summary>
/// <c>capture [-c N] [-w FILE]</c>: copies the daemon's pcap stream to a file or stdout until N packets, the daemon
/// ends it, or Ctrl+C. The stream is written as it arrives, so <c>overlayctl capture | tshark -r -</c> shows packets
/// live; the file is whole at every record boundary.
/// </summary>
internal static class CaptureCommand
{
    public static async Task<int> RunAsync(CtlArguments args, Func<Stream> openStdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        string request = args.Count > 0 ? string.Create(CultureInfo.InvariantCulture, $"capture {args.Count}") : "capture";
        AdminResponse response = await AdminClient.SendAsync(args.SocketPath, request, cancellationToken).ConfigureAwait(false);
        await using (response.ConfigureAwait(false))
        {
            Stream output = args.WritePath == "-" ? openStdout() : File.Create(args.WritePath);
            await using (output.ConfigureAwait(false))
            {
                var records = new PcapRecordCounter();
                await CopyAsync(response.Body, output, records, cancellationToken).ConfigureAwait(false);
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"overlayctl: {records.Records} packets captured{(args.WritePath == "-" ? "" : " to " + args.WritePath)}")).ConfigureAwait(false);
            }
        }
        return ExitCodes.Ok;
    }

    private static async Task CopyAsync(PipeReader body, Stream output, PcapRecordCounter records, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            foreach (ReadOnlyMemory<byte> segment in buffer)
            {
                records.Observe(segment.Span);
                await output.WriteAsync(segment, CancellationToken.None).ConfigureAwait(false);
            }
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            body.AdvanceTo(buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
