using System.Globalization;
using System.Text;

namespace Overlay.Ctl.Commands.Stats;

/// <summary>
/// The human form of <c>overlayctl stats</c>: right-aligned columns with SI units, totals as <c>pkt</c> and
/// <c>B</c>, rates as <c>pkt/s</c> and <c>bit/s</c>. The totals row is labelled <c>total</c>, rate rows with the
/// local time and <c>/s</c>.
/// </summary>
internal static class StatsTable
{
    private const int LabelWidth = 16;

    // Room for the widest value, "999 Mpkt/s" or "1.00 Gbit/s", and a space between columns.
    private const int ColumnWidth = 13;

    public static string Header()
    {
        var text = new StringBuilder();
        text.Append("HOST".PadRight(LabelWidth));
        foreach (StatsColumn column in StatsColumn.Host)
        {
            text.Append(column.Header.PadLeft(ColumnWidth));
        }
        text.Append("ROUTES".PadLeft(8)).Append('\n');
        text.Append("  PEER".PadRight(LabelWidth));
        foreach (StatsColumn column in StatsColumn.Peer)
        {
            text.Append(column.Header.PadLeft(ColumnWidth));
        }
        return text.Append('\n').ToString();
    }

    public static string Block(StatsBlock block)
    {
        ArgumentNullException.ThrowIfNull(block);
        string label = block.IsRates ? block.Time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "/s" : "total";
        var text = new StringBuilder();
        text.Append(label.PadRight(LabelWidth));
        AppendValues(text, StatsColumn.Host, block.Host, block.IsRates);
        text.Append(block.Routes.ToString(CultureInfo.InvariantCulture).PadLeft(8)).Append('\n');
        foreach (PeerRow peer in block.Peers)
        {
            text.Append("  ").Append(peer.Address.PadRight(LabelWidth - 2));
            AppendValues(text, StatsColumn.Peer, peer.Values, block.IsRates);
            text.Append('\n');
        }
        return text.ToString();
    }

    private static void AppendValues(StringBuilder text, IReadOnlyList<StatsColumn> columns, IReadOnlyList<double> values, bool rates)
    {
        for (int i = 0; i < columns.Count; i++)
        {
            string cell = (columns[i].IsBytes, rates) switch
            {
                (true, true) => SiUnits.BitRate(values[i]),
                (false, true) => SiUnits.PacketRate(values[i]),
                (true, false) => SiUnits.Bytes(values[i]),
                (false, false) => SiUnits.Packets(values[i]),
            };
            text.Append(cell.PadLeft(ColumnWidth));
        }
    }
}
