using System.Diagnostics;
using System.Text.Json;
using Overlay.Ctl.Commands.Stats;
using Overlay.Ctl.Daemon;

namespace Overlay.Ctl.Commands;

/// <summary>
/// <c>stats</c>: a block of totals (the host row, then one row per peer), then every second a block of rates per
/// second in the same shape, as a table (<see cref="StatsTable"/>) or JSON lines (<see cref="StatsJson"/>). Peers are
/// those of the daemon's current route table, by public IP.
/// </summary>
internal static class StatsCommand
{
    private static readonly TimeSpan s_interval = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(CtlArguments args, TextWriter stdout, CancellationToken cancellationToken)
    {
        JsonElement sample = await DaemonQueries.StatsAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        var clock = Stopwatch.StartNew();
        bool json = args.Format == StatsFormat.Json;
        if (!json)
        {
            await stdout.WriteAsync(StatsTable.Header()).ConfigureAwait(false);
        }
        await WriteAsync(stdout, json, Block(sample, previous: null, seconds: null)).ConfigureAwait(false);
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
            await WriteAsync(stdout, json, Block(next, sample, seconds)).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            sample = next;
        }
        return ExitCodes.Ok;
    }

    private static Task WriteAsync(TextWriter stdout, bool json, StatsBlock block) =>
        stdout.WriteAsync(json ? StatsJson.Line(block) : StatsTable.Block(block));

    /// <summary>Totals when <paramref name="previous"/> is null, else rates per second since it.</summary>
    internal static StatsBlock Block(JsonElement current, JsonElement? previous, double? seconds)
    {
        JsonElement forwarding = current.GetProperty("forwarding");
        JsonElement? previousForwarding = previous?.GetProperty("forwarding");
        double interval = seconds ?? 1;
        double[] host = [.. StatsColumn.Host.Select(c => previousForwarding is { } before
            ? (Total(forwarding, c.Field) - Total(before, c.Field)) / interval
            : Total(forwarding, c.Field))];

        Dictionary<string, JsonElement> previousPeers = previous is { } p ? PeersByAddress(p) : [];
        var peers = new List<PeerRow>();
        foreach (JsonElement peer in Peers(current))
        {
            string address = peer.GetProperty("address").GetString()!;
            // A peer new since the last sample started from 0, so its totals are its rate's numerator.
            JsonElement? before = previousPeers.TryGetValue(address, out JsonElement seen) ? seen : null;
            // A peer that left and came back between samples restarted from 0: never show a negative rate.
            double[] values = [.. StatsColumn.Peer.Select(c => previous is not null
                ? Math.Max(0, peer.GetProperty(c.Field).GetInt64() - (before?.GetProperty(c.Field).GetInt64() ?? 0)) / interval
                : peer.GetProperty(c.Field).GetInt64())];
            peers.Add(new PeerRow(address, values));
        }
        return new StatsBlock(DateTimeOffset.Now, previous is null ? null : interval, current.GetProperty("routes").GetInt32(), host, peers);
    }

    private static long Total(JsonElement forwarding, string field) =>
        forwarding.TryGetProperty(field, out JsonElement value) ? value.GetInt64() : 0;

    private static IEnumerable<JsonElement> Peers(JsonElement sample) =>
        sample.TryGetProperty("peers", out JsonElement peers) && peers.ValueKind == JsonValueKind.Array ? peers.EnumerateArray() : [];

    private static Dictionary<string, JsonElement> PeersByAddress(JsonElement sample) =>
        Peers(sample).ToDictionary(p => p.GetProperty("address").GetString()!, StringComparer.Ordinal);
}
