namespace Overlay.DataPlane.Capture;

/// <summary>
/// What the ring knows about one captured packet besides its bytes: when it was seen (UTC ticks, one timestamp per
/// batch), which way it went, and its length on the wire before the snap length cut it.
/// </summary>
public readonly record struct CaptureRecord(long UtcTicks, CaptureDirection Direction, int OriginalLength);
