namespace Overlay.Ctl;

/// <summary>How <c>overlayctl stats</c> prints its samples (<c>-o</c>).</summary>
internal enum StatsFormat
{
    /// <summary>Aligned columns for people: counts and rates with SI prefixes, bytes as bit/s.</summary>
    Table,

    /// <summary>One JSON object per sample with the raw numbers, for scripts.</summary>
    Json,
}
