using System.Diagnostics;

namespace Overlay.IntegrationTests.Faults;

/// <summary>Bounded waiting for something another process will make true (a route, a log line, a counter).</summary>
internal static class Poll
{
    /// <summary>Checks <paramref name="condition"/> every <paramref name="interval"/> (default 50 ms) until it holds or <paramref name="timeout"/> passes.</summary>
    public static bool Until(Func<bool> condition, TimeSpan timeout, TimeSpan? interval = null)
    {
        TimeSpan pause = interval ?? TimeSpan.FromMilliseconds(50);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return true;
            }
            if (clock.Elapsed >= timeout)
            {
                return false;
            }
            Thread.Sleep(pause);
        }
    }
}
