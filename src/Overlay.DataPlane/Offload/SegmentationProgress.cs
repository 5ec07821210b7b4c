namespace Overlay.DataPlane.Offload;

/// <summary>What one <see cref="SuperpacketSegmenter.Segment"/> call did.</summary>
/// <param name="Consumed">Input slots handled, from the first one asked for. Fewer than remained means the output
/// filled up: call again from the first unconsumed slot with an emptied output.</param>
/// <param name="Appended">Output slots appended: segments plus plain packets copied through.</param>
/// <param name="Split">Superpackets (GSO type other than none) cut into segments.</param>
/// <param name="SplitSegments">Segments those superpackets gave; included in <paramref name="Appended"/>.</param>
/// <param name="Dropped">Input slots dropped and counted in the tally.</param>
/// <param name="DroppedBytes">Bytes in those dropped slots.</param>
public readonly record struct SegmentationProgress(
    int Consumed,
    int Appended,
    int Split,
    int SplitSegments,
    int Dropped,
    long DroppedBytes);
