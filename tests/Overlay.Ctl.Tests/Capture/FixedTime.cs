namespace Overlay.Ctl.Tests.Capture;

/// <summary>A clock that always says the same instant, so pcap timestamps can be asserted byte for byte.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
