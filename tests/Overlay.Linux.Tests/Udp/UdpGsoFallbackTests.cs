using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Udp;

/// <summary>When the kernel refuses a GSO send but takes the same datagram plainly, GSO goes off for good and nothing is lost.</summary>
public sealed class UdpGsoFallbackTests
{
    private const int SlotSize = 2048;

    [PrivilegedFact]
    public void A_segment_above_the_route_mtu_turns_gso_off_and_every_datagram_still_arrives()
    {
        using TestNamespace ns = TestNamespace.Create("gso");
        // GSO segments must fit the route's MTU, while a plain datagram that does not is fragmented.
        ns.Exec("ip", "link", "set", "lo", "mtu", "1500");
        NamespaceThread.Run(ns.Name, () =>
        {
            uint loopback = Ipv4.Parse("127.0.0.1");
            using var shutdown = new ShutdownSignal();
            using var watchdog = new ShutdownWatchdog(shutdown, TimeSpan.FromSeconds(20));
            using UdpBatchSocket receiver = UdpBatchSocket.Open(loopback, 0, 16, shutdown, new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
            using UdpBatchSocket sender = UdpBatchSocket.Open(loopback, 0, 16, shutdown, new UdpSocketOptions { Gso = true });
            Assert.True(sender.GsoEnabled, sender.GsoDisabledReason);
            var announced = new List<string>();
            sender.GsoDisabled += announced.Add;
            int[] sizes = [1600, 1600, 1600, 1000, 1000, 1000];

            int sent = sender.Send(Datagrams.BatchOf(SlotSize, sizes, receiver.LocalEndpoint));

            Assert.Equal(sizes.Length, sent);
            Assert.Equal(0, sender.SendFailures);
            Assert.False(sender.GsoEnabled);
            Assert.NotNull(sender.GsoDisabledReason);
            // The run is 1600 x3 plus the shorter 1000 that ends it; Linux says EMSGSIZE (older kernels EINVAL).
            Assert.Contains("UDP_SEGMENT (4 datagrams of 1600 bytes) refused", sender.GsoDisabledReason, StringComparison.Ordinal);
            Assert.Matches(@"\(errno (90|22)\)", sender.GsoDisabledReason);
            // Announced once, with the same reason, so the daemon can log it and clear its GSO metric.
            Assert.Equal(sender.GsoDisabledReason, Assert.Single(announced));
            Assert.Equal(0, sender.GsoRuns);
            var received = Datagrams.ReceiveAll(receiver, new PacketBatch(16, SlotSize), sizes.Length);
            Datagrams.AssertArrivedInOrder(sizes, Enumerable.Range(0, sizes.Length), received, sender.LocalEndpoint);

            // Sticky: a run GSO could carry now goes one datagram per message.
            Assert.Equal(3, sender.Send(Datagrams.BatchOf(SlotSize, [500, 500, 500], receiver.LocalEndpoint)));
            Assert.Single(announced);
            Assert.Equal(0, sender.GsoRuns);
            Assert.Equal(3, Datagrams.ReceiveAll(receiver, new PacketBatch(16, SlotSize), 3).Count);
        });
    }
}
