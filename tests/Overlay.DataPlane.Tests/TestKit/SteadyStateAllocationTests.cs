using Overlay.TestKit.Allocation;
using Xunit.Sdk;

namespace Overlay.DataPlane.Tests.TestKit;

/// <summary>The allocation check every zero-allocation test relies on: it must fail on a steady allocation.</summary>
public sealed class SteadyStateAllocationTests
{
    [Fact]
    public void An_allocation_in_every_window_fails_after_the_last_window()
    {
        int calls = 0;
        var failure = Assert.Throws<TrueException>(() => SteadyStateAllocation.AssertClean(() => { calls++; return 64; }, "test windows"));

        Assert.Equal(SteadyStateAllocation.MaxWindows, calls);
        Assert.Contains("64, 64, 64", failure.Message);
    }

    [Fact]
    public void A_one_off_allocation_passes_on_the_next_clean_window()
    {
        long[] perWindow = [4096, 0, 0];
        int calls = 0;

        int windows = SteadyStateAllocation.AssertClean(() => perWindow[calls++], "test windows");

        Assert.Equal(2, windows);
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Bytes_allocated_by_counts_what_the_action_allocates_on_this_thread()
    {
        object? kept = null;
        Action allocate = () => kept = new byte[1000];
        Action nothing = () => { };
        SteadyStateAllocation.BytesAllocatedBy(allocate); // first-call work outside the measurement
        SteadyStateAllocation.BytesAllocatedBy(nothing);

        Assert.True(SteadyStateAllocation.BytesAllocatedBy(allocate) >= 1000);
        Assert.Equal(0, SteadyStateAllocation.BytesAllocatedBy(nothing));
        Assert.NotNull(kept);
    }
}
