namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// A forwarding loop returned without being asked to stop: its TUN queue or UDP socket reported a fault. The host
/// that owns the I/O (the daemon's forwarding plane) adds which call failed and its errno before reporting it.
/// </summary>
public sealed class LoopEndedException(string loopName, string? cause = null) : Exception(
    cause is null
        ? $"forwarding loop '{loopName}' ended without being asked to stop: its TUN queue or UDP socket reported a fault"
        : $"forwarding loop '{loopName}' ended: {cause}")
{
    public string LoopName { get; } = loopName;
}
