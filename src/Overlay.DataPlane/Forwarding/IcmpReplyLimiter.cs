namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// A token bucket for ICMP net-unreachable replies, as the kernel limits its own ICMP errors
/// (<c>net.ipv4.icmp_msgs_per_sec</c> and <c>icmp_msgs_burst</c>): up to <c>burst</c> replies at once, then
/// <c>repliesPerSecond</c> on average; a reply over the limit is not generated. Without it, a flood to an unrouted
/// address turns into as many replies written into the TUN, which crowd out the packets the host actually sends
/// (200,000 replies a second cut a TCP stream on the same host to a tenth).
/// </summary>
/// <remarks>
/// <para>One bucket is shared by every outbound thread, so the limit is the host's, whichever queue a flood hashes
/// to. A bucket per thread with rate/threads would give a single flow, which always lands on one queue, only a
/// fraction of the limit. Sharing costs nothing per forwarded packet: the bucket is consulted only for a packet
/// that would be answered, an empty bucket is seen with one plain read and no write, and a reply taken is one
/// compare-and-swap (a thousand a second by default), so threads contend on it no more than on the shared totals.</para>
/// <para>The bucket is kept in its equivalent single-number form (the generic cell rate algorithm): instead of a
/// token count and a last-refill time, one timestamp, the moment the bucket would be full again. Taking a token
/// moves it one interval (1/rate) later; the bucket is empty while that moment lies more than <c>burst</c>
/// intervals ahead of now; and a moment already past means a full bucket, which is how the refill caps at the
/// burst. One number is what lets a single compare-and-swap update it without a lock, and the refill is computed
/// only when a reply is wanted. The clock is <see cref="TimeProvider.GetTimestamp"/> (the monotonic
/// <c>Stopwatch</c> by default); the interval is rounded up to whole ticks, so the rate is never exceeded.
/// Allocation-free.</para>
/// </remarks>
public sealed class IcmpReplyLimiter
{
    /// <summary>The kernel's default <c>net.ipv4.icmp_msgs_per_sec</c>.</summary>
    public const int DefaultRepliesPerSecond = 1000;

    /// <summary>The kernel's default <c>net.ipv4.icmp_msgs_burst</c>.</summary>
    public const int DefaultBurst = 50;

    /// <summary>The highest rate accepted; above it a limit would not limit anything a TUN can carry.</summary>
    public const int MaximumRepliesPerSecond = 10_000_000;

    /// <summary>The largest burst accepted.</summary>
    public const int MaximumBurst = 1_000_000;

    private readonly TimeProvider _clock;
    private readonly long _interval;
    private readonly long _burstWindow;

    // The timestamp at which the bucket is full again; long.MinValue: full from the start.
    private long _fullAt = long.MinValue;

    /// <param name="repliesPerSecond">Average replies allowed per second, 0 (no replies at all) to
    /// <see cref="MaximumRepliesPerSecond"/>.</param>
    /// <param name="burst">Replies allowed at once after a quiet spell, 1 to <see cref="MaximumBurst"/>.</param>
    /// <param name="clock">Where time comes from; <see cref="TimeProvider.System"/> when null.</param>
    public IcmpReplyLimiter(int repliesPerSecond, int burst, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(repliesPerSecond);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(repliesPerSecond, MaximumRepliesPerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(burst, MaximumBurst);
        _clock = clock ?? TimeProvider.System;
        RepliesPerSecond = repliesPerSecond;
        Burst = burst;
        if (repliesPerSecond > 0)
        {
            long frequency = _clock.TimestampFrequency;
            _interval = Math.Max(1, (frequency + repliesPerSecond - 1) / repliesPerSecond);
            _burstWindow = _interval * burst;
        }
    }

    public int RepliesPerSecond { get; }

    public int Burst { get; }

    /// <summary>Takes a token if one is left: true means send the reply, false means the limit suppresses it.</summary>
    public bool TryTake()
    {
        if (_interval == 0)
        {
            return false;
        }
        long now = _clock.GetTimestamp();
        while (true)
        {
            long fullAt = Volatile.Read(ref _fullAt);
            long next = Math.Max(fullAt, now) + _interval;
            if (next - now > _burstWindow)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref _fullAt, next, fullAt) == fullAt)
            {
                return true;
            }
        }
    }
}
