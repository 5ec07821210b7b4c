namespace Overlay.IntegrationTests.Faults;

/// <summary>One UDP payload sent at overlayd's port, and what it was built to be.</summary>
internal sealed record HostileDatagram(HostileKind Kind, byte[] Payload);
