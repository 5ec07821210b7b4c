namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// Decides, once per sampling interval, whether a queue's forwarding threads share one CPU or spread out, from the
/// packets the daemon moved and how many packets each wake-up carried. Light traffic (request and reply, a packet
/// per wake) is bound by wake-up latency: handing a packet to a thread whose CPU is idle costs an inter-processor
/// wake, which on virtual machines is tens of microseconds, so the threads stay on one CPU. Bulk traffic (full
/// batches, or a high packet rate) is bound by CPU time: the threads then need every CPU the scheduler can give them.
/// </summary>
/// <remarks>
/// <para>Light: under <see cref="LightPacketsPerWake"/> per wake-up and under <see cref="LightMaximumPacketsPerSecond"/>
/// (an idle interval is light). Heavy: at least <see cref="HeavyPacketsPerWake"/> per wake-up (with at least
/// <see cref="HeavyMinimumPacketsPerSecond"/>, so one burst is not a load), or at least
/// <see cref="HeavyPacketsPerSecond"/>. In between, the placement holds.</para>
/// <para>Spreads at once on a heavy interval; co-locates only after a run of light intervals, two at first. Traffic
/// that turns heavy only because its threads share a CPU would flip placement back and forth, so a co-location that
/// ends within <see cref="ShortColocationIntervals"/> doubles the light run needed next time (up to
/// <see cref="MaximumLightIntervals"/>), and one that lasts resets it. A short co-location that only ever saw quiet
/// traffic (under <see cref="QuietPacketsPerSecond"/> from the start of the light run that led to it) leaves the
/// light run needed as it was: heavy traffic needs at least four times that rate, which sharing a CPU cannot
/// produce, so it is a new load, such as the next transfer after a pause, and not a flap.</para>
/// <para>Not thread-safe: one sampler calls <see cref="Observe"/>.</para>
/// </remarks>
public sealed class ThreadPlacementPolicy
{
    public const double LightPacketsPerWake = 4;
    public const double LightMaximumPacketsPerSecond = 50_000;
    public const double HeavyPacketsPerWake = 8;
    public const double HeavyMinimumPacketsPerSecond = 4_000;
    public const double HeavyPacketsPerSecond = 100_000;
    public const int InitialLightIntervals = 2;
    public const int MaximumLightIntervals = 32;
    public const int ShortColocationIntervals = 8;
    public const double QuietPacketsPerSecond = 1_000;

    private int _lightStreak;
    private int _colocatedIntervals;

    // The highest rate since the current light run began, through the co-location it led to.
    private double _peakPacketsPerSecond;

    public ThreadPlacement Current { get; private set; } = ThreadPlacement.Spread;

    /// <summary>Light intervals in a row needed before the next co-location.</summary>
    public int LightIntervalsNeeded { get; private set; } = InitialLightIntervals;

    /// <summary>
    /// Takes one interval's packets (both directions), the wake-ups that moved any (forwarding batches) and the
    /// interval's length, and returns the placement to hold from now on.
    /// </summary>
    public ThreadPlacement Observe(long packets, long wakes, TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(packets);
        ArgumentOutOfRangeException.ThrowIfNegative(wakes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        double perWake = wakes == 0 ? 0 : (double)packets / wakes;
        double perSecond = packets / interval.TotalSeconds;
        bool heavy = (perWake >= HeavyPacketsPerWake && perSecond >= HeavyMinimumPacketsPerSecond) || perSecond >= HeavyPacketsPerSecond;
        bool light = perWake < LightPacketsPerWake && perSecond < LightMaximumPacketsPerSecond;

        if (Current == ThreadPlacement.Colocated)
        {
            _colocatedIntervals = Math.Min(_colocatedIntervals + 1, ShortColocationIntervals);
        }
        if (heavy)
        {
            _lightStreak = 0;
            if (Current == ThreadPlacement.Colocated)
            {
                if (_colocatedIntervals >= ShortColocationIntervals)
                {
                    LightIntervalsNeeded = InitialLightIntervals;
                }
                else if (_peakPacketsPerSecond >= QuietPacketsPerSecond)
                {
                    LightIntervalsNeeded = Math.Min(LightIntervalsNeeded * 2, MaximumLightIntervals);
                }
            }
            Current = ThreadPlacement.Spread;
            return Current;
        }
        if (light && _lightStreak == 0 && Current == ThreadPlacement.Spread)
        {
            _peakPacketsPerSecond = 0;
        }
        if (light || Current == ThreadPlacement.Colocated)
        {
            _peakPacketsPerSecond = Math.Max(_peakPacketsPerSecond, perSecond);
        }
        if (light)
        {
            _lightStreak = Math.Min(_lightStreak + 1, MaximumLightIntervals);
            if (Current == ThreadPlacement.Spread && _lightStreak >= LightIntervalsNeeded)
            {
                Current = ThreadPlacement.Colocated;
                _colocatedIntervals = 0;
            }
        }
        else
        {
            _lightStreak = 0;
        }
        return Current;
    }
}
