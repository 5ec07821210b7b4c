using Overlay.ControlPlane.Leases;

namespace Overlay.ControlPlane.Tests.Leases;

public sealed class ExponentialBackoffTests
{
    [Fact]
    public void DoublesFrom100MillisecondsUpToFiveSecondsAndResets()
    {
        var backoff = new ExponentialBackoff();

        int[] expected = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
        Assert.Equal(expected, expected.Select(_ => (int)backoff.Next().TotalMilliseconds));

        backoff.Reset();
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Next());
    }
}
