namespace Overlay.DataPlane.Offload;

/// <summary>What one <see cref="GroCoalescer.Coalesce"/> call did.</summary>
/// <param name="Superpackets">Output slots holding two or more merged segments.</param>
/// <param name="MergedPackets">Input packets inside those superpackets.</param>
public readonly record struct CoalescingResult(int Superpackets, int MergedPackets);
