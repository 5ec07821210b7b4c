namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Which CPU a queue's two forwarding threads share while traffic is light. Hosts and queues go round-robin over the
/// allowed CPUs, so the nodes of one machine (a lab, a kind-style cluster) land on different CPUs instead of all on
/// the first, and the queues of one node on consecutive ones.
/// </summary>
public static class ColocationCpus
{
    /// <param name="allowed">The CPUs the daemon may use, ascending; at least one.</param>
    /// <param name="hostAddress">This host's underlay IPv4 address in host byte order.</param>
    /// <param name="queue">The queue index, from 0.</param>
    public static int For(IReadOnlyList<int> allowed, uint hostAddress, int queue)
    {
        ArgumentOutOfRangeException.ThrowIfZero(allowed.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(queue);
        return allowed[(int)((hostAddress + (uint)queue) % (uint)allowed.Count)];
    }
}
