using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Tests.Fakes;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class IcmpReplyLimiterTests
{
    private readonly ManualClock _clock = new();

    [Fact]
    public void AFullBucketGivesTheBurstAtOnceThenOneReplyPerInterval()
    {
        var limiter = new IcmpReplyLimiter(1000, 50, _clock);

        Assert.Equal(50, TakeAll(limiter));
        _clock.Advance(1);
        Assert.Equal(1, TakeAll(limiter));
        _clock.Advance(10);
        Assert.Equal(10, TakeAll(limiter));
    }

    [Fact]
    public void AQuietSpellRefillsTheBucketOnlyUpToTheBurst()
    {
        var limiter = new IcmpReplyLimiter(1000, 50, _clock);
        Assert.Equal(50, TakeAll(limiter));

        _clock.Advance(3_600_000);

        Assert.Equal(50, TakeAll(limiter));
        _clock.Advance(20);
        Assert.Equal(20, TakeAll(limiter));
    }

    [Fact]
    public void AnOfferedLoadAboveTheRateGetsTheBurstPlusTheRate()
    {
        var limiter = new IcmpReplyLimiter(200, 5, _clock);
        int taken = 0;
        // Ten packets a millisecond for ten seconds: 100,000 wanted replies.
        for (int ms = 0; ms < 10_000; ms++)
        {
            for (int i = 0; i < 10; i++)
            {
                taken += limiter.TryTake() ? 1 : 0;
            }
            _clock.Advance(1);
        }
        // 5 at once, then one every 5 ms from the 5th: 5 + 1,999.
        Assert.Equal(5 + 200 * 10 - 1, taken);
    }

    [Fact]
    public void ARateThatDoesNotDivideTheClockIsRoundedDownNeverUp()
    {
        // 3 a second on a millisecond clock: one every 334 ms, not 333.
        var limiter = new IcmpReplyLimiter(3, 1, _clock);
        int taken = 0;
        for (int ms = 0; ms <= 10_000; ms++)
        {
            taken += limiter.TryTake() ? 1 : 0;
            _clock.Advance(1);
        }
        Assert.Equal(1 + 10_000 / 334, taken);
        Assert.True(taken <= 3 * 10 + 1);
    }

    [Fact]
    public void RateZeroNeverReplies()
    {
        var limiter = new IcmpReplyLimiter(0, 50, _clock);
        Assert.Equal(0, TakeAll(limiter));
        _clock.Advance(3_600_000);
        Assert.Equal(0, TakeAll(limiter));
    }

    [Fact]
    public void ThreadsSharingOneBucketTakeNoMoreThanItHolds()
    {
        var limiter = new IcmpReplyLimiter(1000, 500, _clock);
        int taken = 0;
        Parallel.For(0, 4, _ =>
        {
            int mine = 0;
            for (int i = 0; i < 20_000; i++)
            {
                mine += limiter.TryTake() ? 1 : 0;
            }
            Interlocked.Add(ref taken, mine);
        });
        Assert.Equal(500, taken);
    }

    [Theory]
    [InlineData(-1, 50)]
    [InlineData(IcmpReplyLimiter.MaximumRepliesPerSecond + 1, 50)]
    [InlineData(1000, 0)]
    [InlineData(1000, IcmpReplyLimiter.MaximumBurst + 1)]
    public void OutOfRangeSettingsAreRefused(int rate, int burst) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new IcmpReplyLimiter(rate, burst, _clock));

    [Fact]
    public void TheLargestSettingsDoNotOverflowTheClock()
    {
        var slow = new IcmpReplyLimiter(1, IcmpReplyLimiter.MaximumBurst);
        var fast = new IcmpReplyLimiter(IcmpReplyLimiter.MaximumRepliesPerSecond, IcmpReplyLimiter.MaximumBurst);
        Assert.True(slow.TryTake());
        Assert.True(fast.TryTake());
    }

    // Takes tokens until the bucket refuses one (at most 1,000,000, so a broken limiter fails instead of hanging).
    private static int TakeAll(IcmpReplyLimiter limiter)
    {
        int taken = 0;
        while (taken < 1_000_000 && limiter.TryTake())
        {
            taken++;
        }
        return taken;
    }
}
