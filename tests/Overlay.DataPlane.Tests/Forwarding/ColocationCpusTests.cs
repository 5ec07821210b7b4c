using Overlay.DataPlane.Forwarding;

namespace Overlay.DataPlane.Tests.Forwarding;

/// <summary>Which CPU a queue's threads share at light load: hosts of one machine and queues of one host spread out.</summary>
public class ColocationCpusTests
{
    private const uint Host1 = 0xC612_0001; // 198.18.0.1
    private const uint Host2 = 0xC612_0002; // 198.18.0.2

    [Fact]
    public void Neighbouring_hosts_of_one_machine_get_different_cpus()
    {
        int[] allowed = [0, 1];
        Assert.Equal(1, ColocationCpus.For(allowed, Host1, 0));
        Assert.Equal(0, ColocationCpus.For(allowed, Host2, 0));
    }

    [Fact]
    public void Queues_of_one_host_take_the_next_allowed_cpus_and_wrap()
    {
        int[] allowed = [2, 5, 7];
        // 198.18.0.3 is 0xC6120003, which is 0 mod 3: queue 0 starts at the first allowed CPU.
        Assert.Equal([2, 5, 7, 2], Enumerable.Range(0, 4).Select(q => ColocationCpus.For(allowed, Host1 + 2, q)).ToArray());
        Assert.All(Enumerable.Range(0, 8), q => Assert.Contains(ColocationCpus.For(allowed, Host2, q), allowed));
    }

    [Fact]
    public void No_cpu_or_a_negative_queue_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ColocationCpus.For([], Host1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ColocationCpus.For([0, 1], Host1, -1));
    }
}
