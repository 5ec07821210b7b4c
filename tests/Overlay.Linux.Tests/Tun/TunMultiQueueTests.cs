using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Tun;
using Overlay.Linux.Udp;
using Overlay.TestKit;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Tun;

/// <summary>A multi-queue TUN device: one fd per queue, flows spread over the queues, each queue counting its own packets.</summary>
public sealed class TunMultiQueueTests
{
    private const int Flows = 64;
    private static readonly uint s_remotePod = Ipv4.Parse("10.244.7.9");

    [PrivilegedTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flows_spread_over_two_queues_and_both_are_read(bool offload)
    {
        using TestNamespace ns = TestNamespace.Create("mq");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), new TunOptions { Offload = offload, Queues = 2 });
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;

            Assert.Equal(2, tun.Queues.Count);
            Assert.NotEqual(tun.Queues[0].Fd, tun.Queues[1].Fd);
            Assert.Equal(tun.Queues[0].Fd, tun.Fd);
            Assert.All(tun.Queues, q => Assert.Equal(offload, q.HasVnetHeader));
            string details = Tools.Run("ip", "-n", ns.Name, "-d", "link", "show", "dev", tun.Name);
            Assert.Contains("multi_queue numqueues 2", details, StringComparison.Ordinal);
            Assert.Contains(offload ? "vnet_hdr on" : "vnet_hdr off", details, StringComparison.Ordinal);

            var ports = new List<ushort>[] { [], [] };
            Thread[] readers = [.. tun.Queues.Select(q => StartReader(q, offload, ports[q.Index]))];
            // One datagram per destination port: 64 flows for the kernel's queue-selecting hash.
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, Flows, shutdown);
            Assert.Equal(Flows, socket.Send(Datagrams.BatchOf(2048, [.. Enumerable.Repeat(100, Flows)], i => new PeerEndpoint(s_remotePod, (ushort)(5000 + i)))));

            bool all = SpinWait.SpinUntil(() => Count(ports) >= Flows, TimeSpan.FromSeconds(10));
            shutdown.Signal();
            foreach (Thread reader in readers)
            {
                Assert.True(reader.Join(TimeSpan.FromSeconds(5)), "a queue's Read did not wake on shutdown");
            }

            Assert.True(all, $"only {Count(ports)} of {Flows} datagrams were read");
            Assert.All(ports, p => Assert.NotEmpty(p));
            Assert.Equal(Enumerable.Range(5000, Flows).Select(p => (ushort)p), ports.SelectMany(p => p).Order());
            Assert.All(tun.Queues, q => Assert.True(q.PacketsRead >= ports[q.Index].Count));
            Assert.Equal(tun.Queues.Sum(q => q.PacketsRead), tun.PacketsRead);
            Assert.All(tun.Queues, q => Assert.Equal(0, q.FaultErrno));
        });
    }

    [PrivilegedFact]
    public void A_write_through_the_second_queue_is_delivered_and_counted_on_that_queue()
    {
        using TestNamespace ns = TestNamespace.Create("mq");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(15), new TunOptions { Queues = 2 });
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, 8, shutdown);
            byte[] payload = Payloads.Create(200, 3);
            byte[] packet = UdpPacket.Build(s_remotePod, 4000, OverlayAddresses.LeaseAddress, socket.LocalPort, payload);

            Assert.Equal(1, tun.Queues[1].Write(TunReads.Single(packet, OffloadInfo.None, 2048)));

            Assert.Equal(1, tun.Queues[1].PacketsWritten);
            Assert.Equal(0, tun.Queues[0].PacketsWritten);
            Assert.Equal(1, tun.PacketsWritten);
            var received = Datagrams.ReceiveAll(socket, new PacketBatch(8, 2048), 1);
            Assert.Equal(payload, Assert.Single(received).Bytes);
        });
    }

    [PrivilegedFact]
    public void Closing_every_queue_removes_the_device()
    {
        using TestNamespace ns = TestNamespace.Create("mq");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            TunDevice tun = TunDevice.Create("flannel%d", shutdown, new TunOptions { Queues = 3 });
            string name = tun.Name;
            Assert.Equal(3, tun.Queues.Count);

            tun.Queues[0].Dispose();
            Assert.Equal(0, Tools.TryRun(TimeSpan.FromSeconds(10), "ip", "-n", ns.Name, "link", "show", "dev", name).ExitCode);
            tun.Dispose();

            Assert.NotEqual(0, Tools.TryRun(TimeSpan.FromSeconds(10), "ip", "-n", ns.Name, "link", "show", "dev", name).ExitCode);
        });
    }

    private static int Count(List<ushort>[] ports) => ports.Sum(p =>
    {
        lock (p)
        {
            return p.Count;
        }
    });

    private static Thread StartReader(TunQueue queue, bool offload, List<ushort> ports)
    {
        var thread = new Thread(() =>
        {
            var batch = new PacketBatch(16, offload ? TunQueue.OffloadSlotBytes : 2048);
            while (queue.Read(batch))
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    ReadOnlySpan<byte> packet = batch.Packet(i);
                    if (UdpPacket.IsIpv4Udp(packet) && UdpPacket.Destination(packet) == s_remotePod)
                    {
                        lock (ports)
                        {
                            ports.Add(UdpPacket.DestinationPort(packet));
                        }
                    }
                }
            }
        })
        { IsBackground = true, Name = $"tun queue {queue.Index}" };
        thread.Start();
        return thread;
    }
}
