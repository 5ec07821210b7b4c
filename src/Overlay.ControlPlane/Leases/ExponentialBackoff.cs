namespace Overlay.ControlPlane.Leases;

/// <summary>
/// flannel's watch reconnect delay: starts at <see cref="Initial"/>, doubles per failure up to
/// <see cref="Max"/>, back to the start after a success. Not thread-safe: one per watch loop.
/// </summary>
public sealed class ExponentialBackoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromMilliseconds(100);

    public static readonly TimeSpan Max = TimeSpan.FromSeconds(5);

    private TimeSpan _next = Initial;

    /// <summary>The delay to wait now; the following call returns twice as much (capped).</summary>
    public TimeSpan Next()
    {
        TimeSpan current = _next;
        _next = current * 2 > Max ? Max : current * 2;
        return current;
    }

    public void Reset() => _next = Initial;
}
