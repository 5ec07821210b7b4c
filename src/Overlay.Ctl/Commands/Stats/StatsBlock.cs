namespace Overlay.Ctl.Commands.Stats;

/// <summary>
/// One printed sample: totals (<see cref="Seconds"/> is null) or rates per second over <see cref="Seconds"/>.
/// <see cref="Host"/> follows <see cref="StatsColumn.Host"/>, each peer's values <see cref="StatsColumn.Peer"/>.
/// </summary>
internal sealed record StatsBlock(DateTimeOffset Time, double? Seconds, int Routes, IReadOnlyList<double> Host, IReadOnlyList<PeerRow> Peers)
{
    public bool IsRates => Seconds is not null;
}

/// <summary>A peer's values in a <see cref="StatsBlock"/>, by its public IP.</summary>
internal sealed record PeerRow(string Address, IReadOnlyList<double> Values);
