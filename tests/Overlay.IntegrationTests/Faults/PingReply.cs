namespace Overlay.IntegrationTests.Faults;

/// <summary>One echo reply as <c>ping -D</c> printed it: its sequence number and when it arrived (wall clock).</summary>
internal readonly record struct PingReply(int Sequence, DateTimeOffset ArrivedAt);
