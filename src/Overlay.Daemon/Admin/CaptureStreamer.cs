using System.IO.Pipelines;
using Overlay.DataPlane.Capture;

namespace Overlay.Daemon.Admin;

/// <summary>
/// Pumps one <see cref="CaptureSession"/> into a pipe as a pcap stream: the global header, then records as the
/// forwarding threads produce them. Polls the ring rather than having forwarding threads signal it, so the packet
/// path never touches a wait handle.
/// </summary>
internal static class CaptureStreamer
{
    /// <summary>How long an empty ring is left alone: short enough for a live view, long enough to stay idle.</summary>
    private static readonly TimeSpan s_idlePoll = TimeSpan.FromMilliseconds(10);

    /// <summary>Records drained per flush, so one busy capture cannot hold a huge unflushed buffer.</summary>
    private const int PacketsPerFlush = 256;

    /// <summary>Streams until <paramref name="count"/> packets (0 = no limit), the reader leaves, or cancellation.</summary>
    public static async Task StreamAsync(CaptureSession session, PipeWriter output, int count, CancellationToken cancellationToken)
    {
        session.WriteFileHeader(output);
        FlushResult flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (!flushed.IsCompleted && !flushed.IsCanceled && !cancellationToken.IsCancellationRequested)
        {
            long remaining = count > 0 ? count - session.Captured : long.MaxValue;
            if (remaining <= 0)
            {
                return;
            }
            int drained = session.DrainTo(output, (int)Math.Min(remaining, PacketsPerFlush));
            if (drained > 0)
            {
                flushed = await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(s_idlePoll, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
