using System.Text.Json;
using Overlay.Ctl.Commands.Stats;

namespace Overlay.Ctl.Tests.Stats;

public class StatsFormatTests
{
    private static readonly StatsBlock s_rates = new(
        new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero),
        Seconds: 1.25,
        Routes: 3,
        Host: [93_200, 93_100, 795_000_000, 40_000, 2_080_000, 40_000, 0],
        Peers: [new PeerRow("198.18.0.2", [93_100, 795_000_000, 40_000, 2_080_000]), new PeerRow("198.18.0.3", [0, 0, 0, 0])]);

    [Fact]
    public void RateRowsShowBitsAndPacketsPerSecondUnderTheirHeaders()
    {
        string[] header = StatsTable.Header().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] rows = StatsTable.Block(s_rates).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"/s\s+93\.2 kpkt/s\s+93\.1 kpkt/s\s+6\.36 Gbit/s\s+40\.0 kpkt/s\s+16\.6 Mbit/s\s+40\.0 kpkt/s\s+0 pkt/s\s+3$", rows[0]);
        Assert.Matches(@"^  198\.18\.0\.2\s+93\.1 kpkt/s\s+6\.36 Gbit/s\s+40\.0 kpkt/s\s+16\.6 Mbit/s$", rows[1]);
        // Right-aligned: each value ends where its header does.
        int udpOut = header[0].IndexOf("UDP-OUT", StringComparison.Ordinal) + "UDP-OUT".Length;
        Assert.Equal(udpOut, rows[0].IndexOf("6.36 Gbit/s", StringComparison.Ordinal) + "6.36 Gbit/s".Length);
        Assert.Equal(header[0].Length, rows[0].Length);
        Assert.Equal(header[1].Length, rows[2].Length);
    }

    [Fact]
    public void JsonCarriesTheRawPerSecondNumbers()
    {
        string line = StatsJson.Line(s_rates);
        Assert.EndsWith("\n", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line.TrimEnd('\n'));
        using JsonDocument document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        Assert.Equal("rates", root.GetProperty("kind").GetString());
        Assert.Equal(1.25, root.GetProperty("seconds").GetDouble());
        Assert.Equal("2026-12-04T10:00:00Z", root.GetProperty("time").GetString());
        Assert.Equal(795_000_000, root.GetProperty("host").GetProperty("udpBytesSent").GetDouble());
        Assert.Equal(3, root.GetProperty("routes").GetInt32());
        JsonElement[] peers = [.. root.GetProperty("peers").EnumerateArray()];
        Assert.Equal(["198.18.0.2", "198.18.0.3"], peers.Select(p => p.GetProperty("address").GetString()));
        Assert.Equal(40_000, peers[0].GetProperty("receivedPackets").GetDouble());
    }
}
