namespace Overlay.DataPlane.Routing;

// Placeholder so the solution builds; the real lookup structure replaces this file.
public sealed partial class RouteTable
{
    private readonly Route[] _routes;

    private RouteTable(Route[] routes) => _routes = routes;

    public static RouteTable Create(IEnumerable<Route> routes) => new([.. routes]);

    public bool TryLookup(uint destination, out PeerEndpoint nextHop)
    {
        foreach (Route route in _routes)
        {
            if (route.Subnet.Contains(destination))
            {
                nextHop = route.NextHop;
                return true;
            }
        }
        nextHop = default;
        return false;
    }
}
