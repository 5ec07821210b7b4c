namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// overlayd's forwarding threads as the kernel lists them (tun-to-udp-N, udp-to-tun-N, one pair per queue). A thread
/// that ends without a fault report leaves the daemon running while the flows hashed onto its queue go nowhere, so
/// tests compare this list before and after a disturbance.
/// </summary>
internal static class ForwardingThreads
{
    public static string[] Of(DaemonProcess daemon) =>
        [.. daemon.ThreadNames().Where(name => name.StartsWith("tun-to-udp", StringComparison.Ordinal) || name.StartsWith("udp-to-tun", StringComparison.Ordinal))];
}
