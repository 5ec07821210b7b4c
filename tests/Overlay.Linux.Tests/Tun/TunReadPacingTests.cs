using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Tun;
using Overlay.Linux.Udp;
using Overlay.TestKit;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Tun;

/// <summary>
/// How <see cref="TunQueue.Read"/> paces itself: under light traffic the first packet after a wake comes back alone
/// (it is on its way while the rest are read), under heavier traffic a wake drains a whole batch.
/// </summary>
public sealed class TunReadPacingTests
{
    private const int SlotSize = 2048;

    [PrivilegedFact]
    public void After_light_traffic_a_wake_returns_one_packet_and_after_heavier_traffic_a_batch()
    {
        using TestNamespace ns = TestNamespace.Create("tunpace");
        NamespaceThread.Run(ns.Name, () =>
        {
            // No IPv6 on the device: router solicitations would otherwise land in the queue between our packets.
            File.WriteAllText("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(15));
            TunDevice tun = overlay.Device;
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, 8, overlay.Shutdown);
            var batch = new PacketBatch(16, SlotSize);

            // One packet: the drain reads it and sees the queue empty behind it.
            SendIntoOverlay(socket, 1);
            Assert.True(tun.Read(batch));
            Assert.Equal(1, batch.Count);

            // Light traffic so far, so the next wake hands over the first of three queued packets on its own...
            SendIntoOverlay(socket, 3);
            Assert.True(tun.Read(batch));
            Assert.Equal(1, batch.Count);
            // ...and the next read drains the other two without waiting.
            Assert.True(tun.Read(batch));
            Assert.Equal(2, batch.Count);

            // Three packets since the last wake: the next wake drains everything queued in one batch.
            SendIntoOverlay(socket, 5);
            Assert.True(tun.Read(batch));
            Assert.Equal(5, batch.Count);
            Assert.Equal(9, tun.PacketsRead);
        });
    }

    // Queues `count` UDP packets on flannel0 with one sendmmsg, all routed into the TUN.
    private static void SendIntoOverlay(UdpBatchSocket socket, int count)
    {
        var outgoing = new PacketBatch(count, SlotSize);
        for (int i = 0; i < count; i++)
        {
            byte[] payload = Payloads.Create(200, i);
            payload.CopyTo(outgoing.Slot(i));
            outgoing.Length(i) = payload.Length;
            outgoing.Endpoint(i) = new PeerEndpoint(Ipv4.Parse("10.244.7.9"), 5000);
        }
        outgoing.Count = count;
        Assert.Equal(count, socket.Send(outgoing));
    }
}
