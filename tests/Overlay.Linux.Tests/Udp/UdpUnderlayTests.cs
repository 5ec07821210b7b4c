using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Udp;

/// <summary>Two hosts on a test underlay, each with a socket bound to its own 198.18.0.x address on flannel's port.</summary>
public sealed class UdpUnderlayTests
{
    private const ushort Port = 8285;
    private const int SlotSize = 2048;
    private static readonly int[] s_sizes = [20, 1472, 64, 900, 1, 1200, 333, 28, 1000, 1472, 77, 500];

    [PrivilegedFact]
    public void Hosts_exchange_batches_with_each_source_seen_as_the_peers_interface_address()
    {
        using Underlay underlay = Underlay.Create(2);
        using var shutdown = new ShutdownSignal();
        using var watchdog = new ShutdownWatchdog(shutdown, TimeSpan.FromSeconds(30));
        using var bothBound = new Barrier(2);

        NamespaceThread[] hosts = Enumerable.Range(0, 2)
            .Select(host => NamespaceThread.Start(underlay.Hosts[host].Name, () => Exchange(host, shutdown, bothBound)))
            .ToArray();

        foreach (NamespaceThread host in hosts)
        {
            host.Join();
        }
        Assert.False(watchdog.Fired, "the exchange only finished because the watchdog signalled shutdown");
    }

    private static void Exchange(int host, ShutdownSignal shutdown, Barrier bothBound)
    {
        uint self = Ipv4.Parse(Underlay.HostAddress(host));
        var peer = new PeerEndpoint(Ipv4.Parse(Underlay.HostAddress(1 - host)), Port);
        using UdpBatchSocket socket = UdpBatchSocket.Open(self, Port, 16, shutdown, receiveBufferBytes: 1 << 20);
        Assert.Equal(Port, socket.LocalPort);
        Assert.True(bothBound.SignalAndWait(TimeSpan.FromSeconds(20)), "the other host never bound its socket");

        var outgoing = new PacketBatch(s_sizes.Length, SlotSize);
        for (int i = 0; i < s_sizes.Length; i++)
        {
            Payloads.Fill(outgoing.Slot(i)[..s_sizes[i]], (host * 100) + i);
            outgoing.Length(i) = s_sizes[i];
            outgoing.Endpoint(i) = peer;
        }
        outgoing.Count = s_sizes.Length;
        Assert.Equal(s_sizes.Length, socket.Send(outgoing));

        var incoming = new PacketBatch(16, SlotSize);
        var received = new List<byte[]>();
        while (received.Count < s_sizes.Length && socket.Receive(incoming))
        {
            for (int i = 0; i < incoming.Count; i++)
            {
                Assert.Equal(peer, incoming.Endpoint(i));
                received.Add(incoming.Packet(i).ToArray());
            }
        }
        Assert.Equal(s_sizes.Length, received.Count);
        for (int i = 0; i < s_sizes.Length; i++)
        {
            Assert.Equal(Payloads.Create(s_sizes[i], ((1 - host) * 100) + i), received[i]);
        }
    }
}
