using System.Globalization;

namespace Overlay.Ctl.Commands.Stats;

/// <summary>
/// Numbers for people: three significant digits and an SI prefix (k = 1000), e.g. <c>6.36 Gbit/s</c>,
/// <c>812 kpkt/s</c>, <c>1.20 GB</c>. Whole numbers under 1000 stay whole (<c>10 pkt</c>), so small totals read
/// exactly.
/// </summary>
internal static class SiUnits
{
    private static readonly string[] s_prefixes = ["", "k", "M", "G", "T", "P", "E"];

    /// <summary>Bytes per second as bits per second, the unit link speeds and iperf3 use.</summary>
    public static string BitRate(double bytesPerSecond) => Format(bytesPerSecond * 8, "bit/s");

    public static string PacketRate(double packetsPerSecond) => Format(packetsPerSecond, "pkt/s");

    public static string Bytes(double bytes) => Format(bytes, "B");

    public static string Packets(double packets) => Format(packets, "pkt");

    public static string Format(double value, string unit)
    {
        int prefix = 0;
        double scaled = value;
        // 999.5 and up would round to "1000": show it as 1.00 of the next prefix instead.
        while (Math.Abs(scaled) >= 999.5 && prefix < s_prefixes.Length - 1)
        {
            scaled /= 1000;
            prefix++;
        }
        double magnitude = Math.Abs(scaled);
        string pattern = prefix == 0 && scaled == Math.Floor(scaled) ? "0"
            : magnitude >= 99.95 ? "0"
            : magnitude >= 9.995 ? "0.0"
            : "0.00";
        return scaled.ToString(pattern, CultureInfo.InvariantCulture) + " " + s_prefixes[prefix] + unit;
    }
}
