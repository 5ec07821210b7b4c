using Overlay.DataPlane.Forwarding;

namespace Overlay.DataPlane.Tests.Forwarding;

public class ThreadPlacementPolicyTests
{
    private static readonly TimeSpan s_quarter = TimeSpan.FromMilliseconds(250);

    [Fact]
    public void Starts_spread_and_colocates_a_ping_pong_after_two_light_intervals()
    {
        var policy = new ThreadPlacementPolicy();
        Assert.Equal(ThreadPlacement.Spread, policy.Current);
        // A ping-pong at 75 µs a round trip: 27,000 packets/s, one per wake-up.
        Assert.Equal(ThreadPlacement.Spread, PingPong(policy));
        Assert.Equal(ThreadPlacement.Colocated, PingPong(policy));
    }

    [Fact]
    public void Idle_intervals_count_as_light()
    {
        var policy = new ThreadPlacementPolicy();
        policy.Observe(0, 0, s_quarter);
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(0, 0, s_quarter));
    }

    [Fact]
    public void Full_batches_spread_at_once()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 40_000, wakes: 1_000, s_quarter));
    }

    [Fact]
    public void A_high_packet_rate_spreads_even_in_single_packet_wake_ups()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 24_999, wakes: 24_999, s_quarter));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 25_000, wakes: 25_000, s_quarter));
    }

    [Fact]
    public void A_short_burst_in_big_batches_is_not_a_load()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 999, wakes: 10, s_quarter));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 1_000, wakes: 10, s_quarter));
    }

    [Fact]
    public void Small_wake_ups_at_a_middling_rate_are_not_light()
    {
        var policy = new ThreadPlacementPolicy();
        for (int i = 0; i < 10; i++)
        {
            // 60,000 packets/s, one per wake-up: neither light nor heavy, so the start placement holds.
            Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 15_000, wakes: 15_000, s_quarter));
        }
    }

    [Fact]
    public void Between_the_thresholds_the_placement_holds_and_the_light_run_restarts()
    {
        ThreadPlacementPolicy policy = Colocated();
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 6_000, wakes: 1_000, s_quarter));

        for (int i = 0; i < ThreadPlacementPolicy.ShortColocationIntervals; i++)
        {
            policy.Observe(packets: 1_000, wakes: 1_000, s_quarter);
        }
        policy.Observe(packets: 40_000, wakes: 1_000, s_quarter);
        Assert.Equal(ThreadPlacementPolicy.InitialLightIntervals, policy.LightIntervalsNeeded);
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 3_000, wakes: 1_000, s_quarter));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 6_000, wakes: 1_000, s_quarter));
        Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 3_000, wakes: 1_000, s_quarter));
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 3_000, wakes: 1_000, s_quarter));
    }

    [Fact]
    public void Exactly_the_thresholds_fall_on_the_documented_sides()
    {
        // 8 packets per wake-up is heavy, just under it is not.
        Assert.Equal(ThreadPlacement.Colocated, Colocated().Observe(packets: 7_999, wakes: 1_000, s_quarter));
        Assert.Equal(ThreadPlacement.Spread, Colocated().Observe(packets: 8_000, wakes: 1_000, s_quarter));
        // 4 per wake-up is not light, nor is 50,000 packets/s (12,500 in a quarter second); just under both is.
        Assert.Equal(ThreadPlacement.Spread, TwiceFromStart(packets: 4_000, wakes: 1_000));
        Assert.Equal(ThreadPlacement.Colocated, TwiceFromStart(packets: 3_999, wakes: 1_000));
        Assert.Equal(ThreadPlacement.Spread, TwiceFromStart(packets: 12_500, wakes: 12_500));
        Assert.Equal(ThreadPlacement.Colocated, TwiceFromStart(packets: 12_499, wakes: 12_499));
    }

    [Fact]
    public void Flapping_doubles_the_light_run_needed_up_to_the_maximum_and_a_lasting_colocation_resets_it()
    {
        var policy = new ThreadPlacementPolicy();
        int[] expected = [4, 8, 16, 32, 32];
        foreach (int needed in expected)
        {
            while (policy.Current == ThreadPlacement.Spread)
            {
                PingPong(policy);
            }
            // Sharing a CPU made the batches grow: heavy after one interval.
            policy.Observe(packets: 40_000, wakes: 1_000, s_quarter);
            Assert.Equal(needed, policy.LightIntervalsNeeded);
            for (int i = 1; i < needed; i++)
            {
                Assert.Equal(ThreadPlacement.Spread, PingPong(policy));
            }
            // The needed-th light interval co-locates again: the next round's first ping-pong.
        }

        while (policy.Current == ThreadPlacement.Spread)
        {
            PingPong(policy);
        }
        for (int i = 0; i < ThreadPlacementPolicy.ShortColocationIntervals; i++)
        {
            PingPong(policy);
        }
        policy.Observe(packets: 40_000, wakes: 1_000, s_quarter);
        Assert.Equal(ThreadPlacementPolicy.InitialLightIntervals, policy.LightIntervalsNeeded);
    }

    [Fact]
    public void A_quiet_colocation_ended_by_a_new_load_leaves_the_light_run_needed_as_it_was()
    {
        var policy = new ThreadPlacementPolicy();
        for (int transfer = 0; transfer < 5; transfer++)
        {
            // A pause between transfers with some chatter (996 packets/s), then the next bulk transfer.
            policy.Observe(packets: 249, wakes: 249, s_quarter);
            Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 249, wakes: 249, s_quarter));
            Assert.Equal(ThreadPlacement.Spread, policy.Observe(packets: 40_000, wakes: 1_000, s_quarter));
            Assert.Equal(ThreadPlacementPolicy.InitialLightIntervals, policy.LightIntervalsNeeded);
        }
    }

    [Fact]
    public void A_colocation_that_saw_the_quiet_rate_or_more_is_a_flap_when_it_ends_short()
    {
        var policy = new ThreadPlacementPolicy();
        policy.Observe(packets: 250, wakes: 250, s_quarter); // 1,000 packets/s: not quiet
        policy.Observe(packets: 0, wakes: 0, s_quarter);
        Assert.Equal(ThreadPlacement.Colocated, policy.Current);
        policy.Observe(packets: 40_000, wakes: 1_000, s_quarter);
        Assert.Equal(2 * ThreadPlacementPolicy.InitialLightIntervals, policy.LightIntervalsNeeded);
    }

    [Fact]
    public void Traffic_while_colocated_counts_towards_the_peak()
    {
        ThreadPlacementPolicy policy = Colocated();
        // 6,000 packets/s in wake-ups of 6: neither light nor heavy, so the co-location holds and saw real traffic.
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 1_500, wakes: 250, s_quarter));
        policy.Observe(packets: 40_000, wakes: 1_000, s_quarter);
        Assert.Equal(2 * ThreadPlacementPolicy.InitialLightIntervals, policy.LightIntervalsNeeded);
    }

    [Fact]
    public void A_new_light_run_measures_its_own_peak()
    {
        var policy = new ThreadPlacementPolicy();
        PingPong(policy);
        policy.Observe(packets: 15_000, wakes: 15_000, s_quarter); // in between: the ping-pong's light run ends
        policy.Observe(packets: 0, wakes: 0, s_quarter);
        Assert.Equal(ThreadPlacement.Colocated, policy.Observe(packets: 0, wakes: 0, s_quarter));
        policy.Observe(packets: 40_000, wakes: 1_000, s_quarter);
        Assert.Equal(ThreadPlacementPolicy.InitialLightIntervals, policy.LightIntervalsNeeded);
    }

    [Fact]
    public void Bad_samples_are_refused()
    {
        var policy = new ThreadPlacementPolicy();
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Observe(-1, 0, s_quarter));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Observe(0, -1, s_quarter));
        Assert.Throws<ArgumentOutOfRangeException>(() => policy.Observe(0, 0, TimeSpan.Zero));
    }

    private static ThreadPlacement TwiceFromStart(long packets, long wakes)
    {
        var policy = new ThreadPlacementPolicy();
        policy.Observe(packets, wakes, s_quarter);
        return policy.Observe(packets, wakes, s_quarter);
    }

    private static ThreadPlacement PingPong(ThreadPlacementPolicy policy) => policy.Observe(6_750, 6_750, s_quarter);

    private static ThreadPlacementPolicy Colocated()
    {
        var policy = new ThreadPlacementPolicy();
        policy.Observe(0, 0, s_quarter);
        policy.Observe(0, 0, s_quarter);
        Assert.Equal(ThreadPlacement.Colocated, policy.Current);
        return policy;
    }
}
