using System.Globalization;
using System.Text.RegularExpressions;

namespace Overlay.IntegrationTests.Faults;

/// <summary>What a finished <c>ping -D</c> run saw: its summary counts and every reply with its arrival time.</summary>
internal sealed partial record PingReport(int Transmitted, int Received, IReadOnlyList<PingReply> Replies, string Output)
{
    public int Lost => Transmitted - Received;

    /// <summary>The first reply that arrived after <paramref name="moment"/>, if any.</summary>
    public PingReply? FirstReplyAfter(DateTimeOffset moment) =>
        Replies.Where(r => r.ArrivedAt > moment).Select(r => (PingReply?)r).FirstOrDefault();

    public static PingReport Parse(string output)
    {
        var replies = new List<PingReply>();
        foreach (Match match in ReplyLine().Matches(output))
        {
            double epochSeconds = double.Parse(match.Groups["at"].Value, CultureInfo.InvariantCulture);
            replies.Add(new PingReply(
                int.Parse(match.Groups["seq"].Value, CultureInfo.InvariantCulture),
                DateTimeOffset.UnixEpoch.AddTicks((long)(epochSeconds * TimeSpan.TicksPerSecond))));
        }
        Match summary = SummaryLine().Match(output);
        if (!summary.Success)
        {
            throw new InvalidOperationException("ping printed no summary line:\n" + output);
        }
        return new PingReport(
            int.Parse(summary.Groups["sent"].Value, CultureInfo.InvariantCulture),
            int.Parse(summary.Groups["received"].Value, CultureInfo.InvariantCulture),
            replies,
            output);
    }

    // [1717000000.123456] 64 bytes from 10.244.3.0: icmp_seq=12 ttl=64 time=0.412 ms
    [GeneratedRegex(@"^\[(?<at>\d+\.\d+)\] \d+ bytes from [^:]+: icmp_seq=(?<seq>\d+) ", RegexOptions.Multiline)]
    private static partial Regex ReplyLine();

    // 80 packets transmitted, 80 received, 0% packet loss, time 7903ms
    [GeneratedRegex(@"(?<sent>\d+) packets transmitted, (?<received>\d+) received")]
    private static partial Regex SummaryLine();
}
