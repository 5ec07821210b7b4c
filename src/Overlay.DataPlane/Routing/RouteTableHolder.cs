namespace Overlay.DataPlane.Routing;

/// <summary>
/// The one mutable cell between control plane and data plane. The control plane publishes a whole new
/// immutable <see cref="RouteTable"/>; forwarding threads read the reference once per batch, never take a lock,
/// and keep using the last published table whatever happens to etcd.
/// </summary>
public sealed class RouteTableHolder
{
    private RouteTable _current = RouteTable.Empty;
    private long _publishedAtTicks = Environment.TickCount64;

    public RouteTable Current => Volatile.Read(ref _current);

    /// <summary>How long ago the current table was published (for metrics: a stale table means a stuck watch).</summary>
    public TimeSpan Age => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _publishedAtTicks));

    public void Publish(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Volatile.Write(ref _current, table);
        Volatile.Write(ref _publishedAtTicks, Environment.TickCount64);
    }
}
