namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Decides, once per sampling interval, whether a queue's forwarding threads share one CPU or spread out, from how
/// many packets each wake-up moved. Light traffic (request and reply, a packet per wake) is bound by wake-up
/// latency: handing a packet to a thread whose CPU is idle costs an inter-processor wake, which on virtual machines
/// is tens of microseconds, so both threads stay on one CPU. Bulk traffic (full batches) is bound by CPU time: the
/// threads then need every CPU the scheduler can give them.
/// </summary>
/// <remarks>
/// Spreads at once when one interval is heavy, co-locates only after <see cref="LightIntervalsToColocate"/> light
/// intervals in a row, and holds its state between the two thresholds, so bursty traffic does not flip placement on
/// every sample. Under overload batches grow, which spreads the threads again: the signal corrects itself.
/// Not thread-safe: one sampler calls <see cref="Observe"/>.
/// </remarks>
public sealed class ThreadPlacementPolicy
{
    /// <summary>Below this many packets per wake-up on average, an interval is light.</summary>
    public const double LightPacketsPerWake = 4;

    /// <summary>At or above this many packets per wake-up on average (and <see cref="HeavyMinimumPackets"/>), heavy.</summary>
    public const double HeavyPacketsPerWake = 8;

    /// <summary>Fewer packets than this in an interval are never heavy: one burst is not a load.</summary>
    public const long HeavyMinimumPackets = 1_000;

    /// <summary>Light intervals in a row before the threads are co-located.</summary>
    public const int LightIntervalsToColocate = 2;

    private int _lightStreak;

    public ThreadPlacement Current { get; private set; } = ThreadPlacement.Spread;

    /// <summary>
    /// Takes one interval's packets (both directions) and wake-ups that moved any (forwarding batches), and returns
    /// the placement to hold from now on. An idle interval counts as light.
    /// </summary>
    public ThreadPlacement Observe(long packets, long wakes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packets);
        ArgumentOutOfRangeException.ThrowIfNegative(wakes);
        double perWake = wakes == 0 ? 0 : (double)packets / wakes;
        if (perWake >= HeavyPacketsPerWake && packets >= HeavyMinimumPackets)
        {
            _lightStreak = 0;
            Current = ThreadPlacement.Spread;
        }
        else if (perWake < LightPacketsPerWake)
        {
            _lightStreak = Math.Min(_lightStreak + 1, LightIntervalsToColocate);
            if (_lightStreak >= LightIntervalsToColocate)
            {
                Current = ThreadPlacement.Colocated;
            }
        }
        else
        {
            _lightStreak = 0;
        }
        return Current;
    }
}
