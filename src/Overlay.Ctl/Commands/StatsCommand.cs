using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Overlay.Ctl.Daemon;

namespace Overlay.Ctl.Commands;

/// <summary>
/// <c>stats</c>: a block of totals (the host row, then one row per peer), then every second a block of rates per
/// second in the same shape. Peers are those of the daemon's current route table, by public IP.
/// </summary>
internal static class StatsCommand
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    private static readonly (string Header, string Field)[] s_hostColumns =
    [
        ("TUN-READ", "tunPacketsRead"),
        ("UDP-SENT", "udpPacketsSent"),
        ("UDP-BYTES-OUT", "udpBytesSent"),
        ("UDP-RECV", "udpPacketsReceived"),
        ("UDP-BYTES-IN", "udpBytesReceived"),
        ("TUN-WRITTEN", "tunPacketsWritten"),
        ("DROPPED", "totalDropped"),
    ];

    private static readonly (string Header, string Field)[] s_peerColumns =
    [
        ("SENT-PKTS", "sentPackets"),
        ("SENT-BYTES", "sentBytes"),
        ("RECV-PKTS", "receivedPackets"),
        ("RECV-BYTES", "receivedBytes"),
    ];

    public static async Task<int> RunAsync(CtlArguments args, TextWriter stdout, CancellationToken cancellationToken)
    {
        JsonElement sample = await DaemonQueries.StatsAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        await stdout.WriteLineAsync($"{"HOST",-16}{string.Concat(s_hostColumns.Select(c => $"{c.Header,15}"))}{"ROUTES",8}").ConfigureAwait(false);
        await stdout.WriteLineAsync($"{"  PEER",-16}{string.Concat(s_peerColumns.Select(c => $"{c.Header,15}"))}").ConfigureAwait(false);
        await WriteBlockAsync(stdout, "total", sample, previous: null, seconds: 1).ConfigureAwait(false);
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
            string label = DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "/s";
            await WriteBlockAsync(stdout, label, next, sample, seconds).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            sample = next;
        }
        return ExitCodes.Ok;
    }

    /// <summary>One host row and one row per peer: totals when <paramref name="previous"/> is null, else rates since it.</summary>
    private static async Task WriteBlockAsync(TextWriter stdout, string label, JsonElement current, JsonElement? previous, double seconds)
    {
        JsonElement forwarding = current.GetProperty("forwarding");
        JsonElement? previousForwarding = previous?.GetProperty("forwarding");
        IEnumerable<double> host = s_hostColumns.Select(c => Value(forwarding, previousForwarding, c.Field, seconds));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{label,-16}{Columns(host)}{current.GetProperty("routes").GetInt32(),8}")).ConfigureAwait(false);

        Dictionary<string, JsonElement> previousPeers = previous is { } p ? PeersByAddress(p) : [];
        foreach (JsonElement peer in Peers(current))
        {
            string address = peer.GetProperty("address").GetString()!;
            // A peer new since the last sample started from 0, so its totals are its rate's numerator.
            JsonElement? before = previous is null ? null : previousPeers.TryGetValue(address, out JsonElement seen) ? seen : default(JsonElement?);
            bool rates = previous is not null;
            // A peer that left and came back between samples restarted from 0: never show a negative rate.
            IEnumerable<double> values = s_peerColumns.Select(c => rates
                ? Math.Max(0, peer.GetProperty(c.Field).GetInt64() - (before?.GetProperty(c.Field).GetInt64() ?? 0)) / seconds
                : peer.GetProperty(c.Field).GetInt64());
            await stdout.WriteLineAsync($"  {address,-14}{Columns(values)}").ConfigureAwait(false);
        }
    }

    private static double Value(JsonElement current, JsonElement? previous, string field, double seconds) =>
        previous is { } before ? (Total(current, field) - Total(before, field)) / seconds : Total(current, field);

    private static string Columns(IEnumerable<double> values) =>
        string.Concat(values.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v,15:0.#}")));

    private static long Total(JsonElement forwarding, string field) =>
        forwarding.TryGetProperty(field, out JsonElement value) ? value.GetInt64() : 0;

    private static IEnumerable<JsonElement> Peers(JsonElement sample) =>
        sample.TryGetProperty("peers", out JsonElement peers) && peers.ValueKind == JsonValueKind.Array ? peers.EnumerateArray() : [];

    private static Dictionary<string, JsonElement> PeersByAddress(JsonElement sample) =>
        Peers(sample).ToDictionary(p => p.GetProperty("address").GetString()!, StringComparer.Ordinal);
}
