using System.Text;
using System.Text.Json;

namespace Overlay.Ctl.Commands.Stats;

/// <summary>
/// <c>overlayctl stats -o json</c>: one JSON object per sample and line, raw numbers for scripts, named as in the
/// admin protocol. <c>{"kind":"totals"|"rates","time","seconds","routes","host":{"tunPacketsRead",...},
/// "peers":[{"address","sentPackets","sentBytes","receivedPackets","receivedBytes"}]}</c>: totals are counts,
/// rates are per second over <c>seconds</c> (bytes per second, not bits; seconds is null for totals).
/// </summary>
internal static class StatsJson
{
    public static string Line(StatsBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("kind", block.IsRates ? "rates" : "totals");
            json.WriteString("time", block.Time.UtcDateTime);
            if (block.Seconds is { } seconds)
            {
                json.WriteNumber("seconds", seconds);
            }
            else
            {
                json.WriteNull("seconds");
            }
            json.WriteNumber("routes", block.Routes);
            json.WriteStartObject("host");
            WriteValues(json, StatsColumn.Host, block.Host);
            json.WriteEndObject();
            json.WriteStartArray("peers");
            foreach (PeerRow peer in block.Peers)
            {
                json.WriteStartObject();
                json.WriteString("address", peer.Address);
                WriteValues(json, StatsColumn.Peer, peer.Values);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    private static void WriteValues(Utf8JsonWriter json, IReadOnlyList<StatsColumn> columns, IReadOnlyList<double> values)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            json.WriteNumber(columns[i].Field, values[i]);
        }
    }
}
