using Overlay.ControlPlane.Config;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Leases;

/// <summary>
/// flannel's subnet choice: walk from SubnetMin to SubnetMax (inclusive) in steps of one subnet, skip every
/// candidate that overlaps an existing lease, stop after <see cref="MaxCandidates"/> free ones, pick one
/// uniformly at random. Pure; thread-safe as long as the given <see cref="Random"/> is not shared.
/// </summary>
public static class SubnetAllocator
{
    public const int MaxCandidates = 100;

    /// <summary>The free candidates in ascending order, at most <see cref="MaxCandidates"/>.</summary>
    public static IReadOnlyList<Ipv4Subnet> FreeCandidates(NetworkConfig config, IReadOnlyCollection<Ipv4Subnet> taken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(taken);
        var free = new List<Ipv4Subnet>();
        ulong step = 1UL << (32 - config.SubnetLen);
        // ulong so that a range ending at the top of the address space cannot wrap around.
        for (ulong network = config.SubnetMin; network <= config.SubnetMax && free.Count < MaxCandidates; network += step)
        {
            var candidate = new Ipv4Subnet((uint)network, config.SubnetLen);
            if (!taken.Any(candidate.Overlaps))
            {
                free.Add(candidate);
            }
        }
        return free;
    }

    /// <summary>A random free subnet, or null when the range is exhausted ("out of subnets").</summary>
    public static Ipv4Subnet? Pick(NetworkConfig config, IReadOnlyCollection<Ipv4Subnet> taken, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        IReadOnlyList<Ipv4Subnet> free = FreeCandidates(config, taken);
        return free.Count == 0 ? null : free[random.Next(free.Count)];
    }
}
