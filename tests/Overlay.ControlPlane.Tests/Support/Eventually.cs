using System.Diagnostics;

namespace Overlay.ControlPlane.Tests.Support;

/// <summary>Polls a condition with a bounded wait; the control plane is asynchronous, assertions must not race it.</summary>
public static class Eventually
{
    public static async Task True(Func<bool> condition, TimeSpan within, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; attempt < 10_000; attempt++)
        {
            if (condition())
            {
                return;
            }
            if (clock.Elapsed > within)
            {
                break;
            }
            await Task.Delay(20);
        }
        Assert.Fail($"not true within {within.TotalSeconds:0.#} s: {describe()}");
    }

    public static Task True(Func<bool> condition, TimeSpan within, string description) => True(condition, within, () => description);
}
