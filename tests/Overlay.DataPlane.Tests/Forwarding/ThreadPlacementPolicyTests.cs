using Overlay.DataPlane.Forwarding;

namespace Overlay.DataPlane.Tests.Forwarding;

public class ThreadPlacementPolicyTests
{
    [Fact]
    public void Starts_spread_and_colocates_after_two_light_intervals()
    {
        var policy = new ThreadPlacementPolicy();
        Assert.Equal(ThreadPlacement.Spread, policy.Current);
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 2_000, wakes: 2_000));
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 2_000, wakes: 2_000));
    }

    [Fact]
    public void Idle_intervals_count_as_light()
    {
        var policy = new ThreadPlacementPolicy();
        policy.Observe(0, 0);
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(0, 0));
    }

    [Fact]
    public void One_heavy_interval_spreads_at_once()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 40_000, wakes: 1_000));
    }

    [Fact]
    public void A_short_burst_in_big_batches_is_not_a_load()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 999, wakes: 10));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 1_000, wakes: 10));
    }

    [Fact]
    public void Between_the_thresholds_the_placement_holds_and_the_light_streak_restarts()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 6_000, wakes: 1_000));

        policy.Observe(packets: 40_000, wakes: 1_000);
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 3_000, wakes: 1_000));
        // A middling interval breaks the run of light ones: two more light intervals are needed.
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 6_000, wakes: 1_000));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 3_000, wakes: 1_000));
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 3_000, wakes: 1_000));
    }

    [Fact]
    public void Exactly_the_thresholds_fall_on_the_documented_sides()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 7_999, wakes: 1_000));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 8_000, wakes: 1_000));
        policy.Observe(packets: 4_000, wakes: 1_000);
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 4_000, wakes: 1_000));
    }

    [Fact]
    public void Negative_counts_are_refused()
    {
        var policy = new ThreadPlacementPolicy();
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Observe(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Observe(0, -1));
    }

    private static ThreadPlacementPolicy Colocated()
    {
        var policy = new ThreadPlacementPolicy();
        policy.Observe(0, 0);
        policy.Observe(0, 0);
        Assert.Equal(ThreadPlacement.Colocated, policy.Current);
        return policy;
    }
}
