namespace Overlay.DataPlane.Tests.Fakes;

/// <summary>
/// A clock that moves only when the test moves it, in milliseconds (1,000 ticks a second), so time-driven logic can
/// be checked against exact numbers.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private long _now;

    public override long TimestampFrequency => 1000;

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public void Advance(long milliseconds) => Interlocked.Add(ref _now, milliseconds);
}
