using BenchmarkDotNet.Attributes;
using Overlay.DataPlane.Routing;

namespace Overlay.Benchmarks;

/// <summary>
/// One destination lookup in a table of flannel-shaped routes (/24s inside 10.0.0.0/8), hitting and missing.
/// Per lookup: OperationsPerInvoke is the number of destinations looked up per call.
/// </summary>
[MemoryDiagnoser]
public class RouteLookupBenchmarks
{
    private const int Lookups = 1024;
    private readonly uint[] _destinations = new uint[Lookups];
    private RouteTable _table = RouteTable.Empty;
    private Route[] _routes = [];

    [Params(10, 1_000, 10_000)]
    public int Routes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _routes = new Route[Routes];
        for (int i = 0; i < Routes; i++)
        {
            uint network = 0x0A00_0000u | ((uint)i << 8);
            _routes[i] = new Route(new Ipv4Subnet(network, 24), new PeerEndpoint(0xC612_0000u | (uint)i, 8285));
        }
        _table = RouteTable.Create(_routes);
        for (int i = 0; i < Lookups; i++)
        {
            // Three in four hit a route; the rest fall just outside the table.
            uint subnet = (uint)random.Next(Routes + (Routes / 3) + 1);
            _destinations[i] = 0x0A00_0000u | (subnet << 8) | (uint)random.Next(1, 255);
        }
        foreach (uint destination in _destinations)
        {
            bool found = _table.TryLookup(destination, out PeerEndpoint hop);
            int linear = Array.FindIndex(_routes, r => r.Subnet.Contains(destination));
            if (found != linear >= 0 || (found && hop != _routes[linear].NextHop))
            {
                throw new InvalidOperationException($"lookup of {Ipv4.Format(destination)} disagrees with a linear scan");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int Lookup()
    {
        int hits = 0;
        RouteTable table = _table;
        foreach (uint destination in _destinations)
        {
            if (table.TryLookup(destination, out _))
            {
                hits++;
            }
        }
        return hits;
    }
}
