using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Overlay.Ctl.Daemon;

namespace Overlay.Ctl.Commands;

/// <summary>
/// <c>stats</c>: one line of totals, then one line of rates per second. The data plane keeps host-wide totals only,
/// so these are rates of the totals, not per peer.
/// </summary>
internal static class StatsCommand
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    private static readonly (string Header, string Field)[] s_columns =
    [
        ("TUN-READ", "tunPacketsRead"),
        ("UDP-SENT", "udpPacketsSent"),
        ("UDP-BYTES-OUT", "udpBytesSent"),
        ("UDP-RECV", "udpPacketsReceived"),
        ("UDP-BYTES-IN", "udpBytesReceived"),
        ("TUN-WRITTEN", "tunPacketsWritten"),
        ("DROPPED", "totalDropped"),
    ];

    public static async Task<int> RunAsync(CtlArguments args, TextWriter stdout, CancellationToken cancellationToken)
    {
        JsonElement sample = await DaemonQueries.StatsAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        await stdout.WriteLineAsync("(host totals: the data plane does not track per-peer counters yet)").ConfigureAwait(false);
        await stdout.WriteLineAsync($"{"",-10}{string.Concat(s_columns.Select(c => $"{c.Header,15}"))}{"ROUTES",8}").ConfigureAwait(false);
        await stdout.WriteLineAsync(FormatRow("total", s_columns.Select(c => (double)Total(sample, c.Field)), sample)).ConfigureAwait(false);
        await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);

        using var timer = new PeriodicTimer(s_interval);
        for (int printed = 1; args.Count == 0 || printed < args.Count; printed++)
        {
            try
            {
                await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            JsonElement next = await DaemonQueries.StatsAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
            double seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            clock.Restart();
            IEnumerable<double> rates = s_columns.Select(c => (Total(next, c.Field) - Total(sample, c.Field)) / seconds);
            string label = DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "/s";
            await stdout.WriteLineAsync(FormatRow(label, rates, next)).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            sample = next;
        }
        return ExitCodes.Ok;
    }

    private static string FormatRow(string label, IEnumerable<double> values, JsonElement sample) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{label,-10}{string.Concat(values.Select(v => $"{v,15:0.#}"))}{sample.GetProperty("routes").GetInt32(),8}");

    private static long Total(JsonElement sample, string field) =>
        sample.GetProperty("forwarding").TryGetProperty(field, out JsonElement value) ? value.GetInt64() : 0;
}
