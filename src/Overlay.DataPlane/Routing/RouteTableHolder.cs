namespace Overlay.DataPlane.Routing;

/// <summary>
/// The one mutable cell between control plane and data plane. The control plane publishes a whole new
/// immutable <see cref="RouteTable"/>; forwarding threads read the reference once per batch, never take a lock,
/// and keep using the last published table whatever happens to etcd.
/// </summary>
public sealed class RouteTableHolder
{
    private RouteTable _current = RouteTable.Empty;

    public RouteTable Current => Volatile.Read(ref _current);

    public void Publish(RouteTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        Volatile.Write(ref _current, table);
    }
}
