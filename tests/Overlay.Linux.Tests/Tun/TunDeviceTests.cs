using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Netlink;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Tun;
using Overlay.Linux.Udp;
using Overlay.TestKit;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Tun;

/// <summary>A real TUN device inside a test namespace, configured through RouteNetlink and checked with iproute2.</summary>
public sealed class TunDeviceTests
{
    private const int SlotSize = 2048;

    [PrivilegedFact]
    public void Creates_flannel0_from_the_template_and_configures_it_like_flannel()
    {
        using TestNamespace ns = TestNamespace.Create("tun");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using var netlink = new RouteNetlink();
            TunDevice tun = TunDevice.Create("flannel%d", shutdown);
            try
            {
                Assert.Equal("flannel0", tun.Name);
                Assert.True(tun.Fd >= 0);

                int index = OverlayAddresses.ConfigureLikeFlannel(netlink, tun);

                Assert.Equal(OverlayAddresses.Mtu, netlink.GetLinkMtu(index));
                string addresses = Tools.Run("ip", "-n", ns.Name, "-4", "addr", "show", "dev", "flannel0");
                Assert.Contains("inet 10.244.91.0/32 scope global flannel0", addresses, StringComparison.Ordinal);
                string link = Tools.Run("ip", "-n", ns.Name, "link", "show", "dev", "flannel0");
                Assert.Contains($"{index}: flannel0:", link, StringComparison.Ordinal);
                Assert.Contains(",UP,", link, StringComparison.Ordinal);
                Assert.Contains("mtu 1472 ", link, StringComparison.Ordinal);
                Assert.Contains("qlen 1000", link, StringComparison.Ordinal);
                string route = RouteLine(ns, "10.244.0.0/16");
                Assert.StartsWith("10.244.0.0/16 dev flannel0", route, StringComparison.Ordinal);
                Assert.DoesNotContain(" via ", route, StringComparison.Ordinal);
                Assert.DoesNotContain("scope", route, StringComparison.Ordinal); // universe is the default, not printed

                // Repeating the setup is harmless: EEXIST is reported, not thrown.
                Assert.False(netlink.AddAddress(index, OverlayAddresses.LeaseAddress, 32));
                Assert.False(netlink.AddRoute(OverlayAddresses.Network, index));
            }
            finally
            {
                tun.Dispose();
            }
            ToolResult gone = Tools.TryRun(TimeSpan.FromSeconds(10), "ip", "-n", ns.Name, "link", "show", "dev", "flannel0");
            Assert.NotEqual(0, gone.ExitCode);
        });
    }

    [PrivilegedFact]
    public void The_template_picks_the_next_free_index()
    {
        using TestNamespace ns = TestNamespace.Create("tun");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using TunDevice first = TunDevice.Create("flannel%d", shutdown);
            using TunDevice second = TunDevice.Create("flannel%d", shutdown);

            Assert.Equal("flannel0", first.Name);
            Assert.Equal("flannel1", second.Name);
        });
    }

    [PrivilegedFact]
    public void A_packet_written_into_the_tun_reaches_a_local_udp_socket()
    {
        using TestNamespace ns = TestNamespace.Create("tun");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(15));
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, 8, shutdown);
            uint remotePod = Ipv4.Parse("10.244.5.7");
            byte[] payload = Payloads.Create(300, 1);
            byte[] packet = UdpPacket.Build(remotePod, 4000, OverlayAddresses.LeaseAddress, socket.LocalPort, payload);
            var toTun = new PacketBatch(2, SlotSize);
            packet.CopyTo(toTun.Slot(1));
            toTun.Length(0) = 0; // an empty slot is skipped, not written
            toTun.Length(1) = packet.Length;
            toTun.Count = 2;

            Assert.Equal(1, tun.Write(toTun));
            Assert.Equal(1, tun.PacketsWritten);
            Assert.Equal(packet.Length, tun.BytesWritten);

            var received = new PacketBatch(8, SlotSize);
            Assert.True(socket.Receive(received), "the datagram never reached the socket");
            Assert.Equal(1, received.Count);
            Assert.Equal(payload, received.Packet(0).ToArray());
            Assert.Equal(new PeerEndpoint(remotePod, 4000), received.Endpoint(0));
        });
    }

    [PrivilegedFact]
    public void A_datagram_sent_into_the_overlay_is_read_from_the_tun()
    {
        using TestNamespace ns = TestNamespace.Create("tun");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(15));
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, 8, shutdown);
            var remote = new PeerEndpoint(Ipv4.Parse("10.244.7.9"), 5000);
            byte[] payload = Payloads.Create(500, 2);

            SendIntoOverlay(socket, remote, payload);

            byte[]? found = null;
            var fromTun = new PacketBatch(16, SlotSize);
            // Other traffic (IPv6 router solicitations, MLD) may reach the TUN too; look for ours, boundedly.
            for (int reads = 0; found is null && reads < 100 && tun.Read(fromTun); reads++)
            {
                for (int i = 0; i < fromTun.Count && found is null; i++)
                {
                    byte[] candidate = fromTun.Packet(i).ToArray();
                    if (UdpPacket.IsIpv4Udp(candidate) && UdpPacket.Destination(candidate) == remote.Address)
                    {
                        found = candidate;
                    }
                }
            }
            Assert.NotNull(found);
            Assert.Equal(OverlayAddresses.LeaseAddress, UdpPacket.Source(found));
            Assert.Equal(socket.LocalPort, UdpPacket.SourcePort(found));
            Assert.Equal(remote.Port, UdpPacket.DestinationPort(found));
            Assert.Equal(payload, UdpPacket.Payload(found).ToArray());
            Assert.Equal(0, UdpPacket.HeaderChecksum(found.AsSpan(0, 20)));
            Assert.True(tun.PacketsRead >= 1);
            Assert.True(tun.BytesRead >= found.Length);
        });
    }

    [PrivilegedFact]
    public void Shutdown_wakes_a_blocked_read_which_then_returns_false()
    {
        using TestNamespace ns = TestNamespace.Create("tun");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            // Left down, so nothing at all arrives and Read stays blocked in poll.
            using TunDevice tun = TunDevice.Create("flannel%d", shutdown);
            var batch = new PacketBatch(4, SlotSize);
            bool? result = null;
            var reader = new Thread(() => result = tun.Read(batch)) { IsBackground = true };
            reader.Start();

            Assert.False(reader.Join(TimeSpan.FromMilliseconds(300)), "Read returned with nothing to read");
            shutdown.Signal();

            Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "Read did not wake on shutdown");
            Assert.False(result);
            Assert.Equal(0, batch.Count);
            Assert.Equal(0, tun.FaultErrno);
        });
    }

    [PrivilegedFact]
    public void A_packet_the_kernel_refuses_is_counted_and_the_rest_are_written()
    {
        using TestNamespace ns = TestNamespace.Create("tun");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using var netlink = new RouteNetlink();
            using TunDevice tun = TunDevice.Create("flannel%d", shutdown);
            OverlayAddresses.ConfigureLikeFlannel(netlink, tun);
            byte[] good = UdpPacket.Build(Ipv4.Parse("10.244.5.7"), 4000, OverlayAddresses.LeaseAddress, 9, Payloads.Create(40, 3));
            var batch = new PacketBatch(3, SlotSize);
            good.CopyTo(batch.Slot(0));
            batch.Length(0) = good.Length;
            // With IFF_NO_PI the kernel reads the protocol from the version nibble; 0 is neither IPv4 nor IPv6.
            batch.Slot(1)[..40].Clear();
            batch.Length(1) = 40;
            good.CopyTo(batch.Slot(2));
            batch.Length(2) = good.Length;
            batch.Count = 3;

            int written = tun.Write(batch);

            Assert.Equal(2, written);
            Assert.Equal(1, tun.WriteFailures);
            Assert.NotEqual(0, tun.LastWriteErrno);
        });
    }

    private static string RouteLine(TestNamespace ns, string destination) =>
        Tools.Run("ip", "-n", ns.Name, "-4", "route", "show", "exact", destination).Trim();

    [PrivilegedFact]
    public void After_light_traffic_a_wake_returns_one_packet_and_after_heavier_traffic_a_batch()
    {
        // Read pacing: under light traffic the first packet after a wake comes back alone (it is on its way while the
        // rest are read); under heavier traffic a wake drains a whole batch.
        using TestNamespace ns = TestNamespace.Create("tunpace");
        NamespaceThread.Run(ns.Name, () =>
        {
            // No IPv6 on the device: router solicitations would otherwise land in the queue between our packets.
            File.WriteAllText("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(15));
            TunDevice tun = overlay.Device;
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, 8, overlay.Shutdown);
            var remote = new PeerEndpoint(Ipv4.Parse("10.244.7.9"), 5000);
            var batch = new PacketBatch(16, SlotSize);

            // One packet: the drain reads it and sees the queue empty behind it.
            SendIntoOverlay(socket, remote, Payloads.Create(200, 0));
            Assert.True(tun.Read(batch));
            Assert.Equal(1, batch.Count);

            // Light traffic so far, so the next wake hands over the first of three queued packets on its own...
            SendIntoOverlay(socket, remote, [.. Enumerable.Range(0, 3).Select(i => Payloads.Create(200, i))]);
            Assert.True(tun.Read(batch));
            Assert.Equal(1, batch.Count);
            // ...and the next read drains the other two without waiting.
            Assert.True(tun.Read(batch));
            Assert.Equal(2, batch.Count);

            // Three packets since the last wake: the next wake drains everything queued in one batch.
            SendIntoOverlay(socket, remote, [.. Enumerable.Range(0, 5).Select(i => Payloads.Create(200, i))]);
            Assert.True(tun.Read(batch));
            Assert.Equal(5, batch.Count);
            Assert.Equal(9, tun.PacketsRead);
        });
    }

    // Sends the payloads to `remote` with one sendmmsg; flannel0's route takes them into the TUN.
    private static void SendIntoOverlay(UdpBatchSocket socket, PeerEndpoint remote, params byte[][] payloads)
    {
        var outgoing = new PacketBatch(payloads.Length, SlotSize);
        for (int i = 0; i < payloads.Length; i++)
        {
            payloads[i].CopyTo(outgoing.Slot(i));
            outgoing.Length(i) = payloads[i].Length;
            outgoing.Endpoint(i) = remote;
        }
        outgoing.Count = payloads.Length;
        Assert.Equal(payloads.Length, socket.Send(outgoing));
    }
}
