using System.Net;
using System.Net.Sockets;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Tun;
using Overlay.Linux.Udp;
using Overlay.TestKit;
using Overlay.TestKit.Allocation;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Packets;
using Overlay.TestKit.Privileged;

namespace Overlay.Linux.Tests.Tun;

/// <summary>
/// A TUN device with IFF_VNET_HDR and TSO/USO inside a test namespace: the kernel hands it superpackets and accepts
/// them back, described by <see cref="OffloadInfo"/>.
/// </summary>
public sealed class TunOffloadTests
{
    private const int BigSlot = TunQueue.OffloadSlotBytes;
    private const ushort Mss = OverlayAddresses.Mtu - 40;
    private static readonly uint s_remotePod = Ipv4.Parse("10.244.7.9");
    private static readonly TunOptions s_offload = new() { Offload = true };

    /// <summary>TUN_F_USO4/USO6 exist from Linux 6.2 on.</summary>
    private static bool KernelHasUso => Environment.OSVersion.Version >= new Version(6, 2);

    [PrivilegedFact]
    public void An_offload_device_has_vnet_headers_and_reports_the_offloads_that_took()
    {
        using TestNamespace ns = TestNamespace.Create("tso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using TunDevice tun = TunDevice.Create("flannel%d", shutdown, s_offload);
            using TunDevice noUso = TunDevice.Create("flannel%d", shutdown, s_offload with { Uso = false });
            using TunDevice plain = TunDevice.Create("flannel%d", shutdown);

            Assert.True(tun.OffloadEnabled);
            const TunOffloads Tso = TunOffloads.Checksum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn;
            Assert.Equal(Tso, tun.OffloadFlagsEnabled & Tso);
            Assert.Equal(KernelHasUso, tun.UsoEnabled);
            Assert.Equal(KernelHasUso, tun.UsoUnavailableReason is null);
            Assert.True(tun.Queues.Single().HasVnetHeader);
            Assert.Contains("vnet_hdr on", Tools.Run("ip", "-n", ns.Name, "-d", "link", "show", "dev", tun.Name), StringComparison.Ordinal);

            Assert.Equal(Tso, noUso.OffloadFlagsEnabled);
            Assert.False(noUso.UsoEnabled);
            Assert.Equal("not requested", noUso.UsoUnavailableReason);

            Assert.False(plain.OffloadEnabled);
            Assert.Equal(TunOffloads.None, plain.OffloadFlagsEnabled);
            Assert.Contains("vnet_hdr off", Tools.Run("ip", "-n", ns.Name, "-d", "link", "show", "dev", plain.Name), StringComparison.Ordinal);
        });
    }

    [PrivilegedFact]
    public void An_offload_read_into_slots_smaller_than_64k_is_refused_up_front()
    {
        using TestNamespace ns = TestNamespace.Create("tso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var shutdown = new ShutdownSignal();
            using TunDevice tun = TunDevice.Create("flannel%d", shutdown, s_offload);

            var error = Assert.Throws<ArgumentException>(() => tun.Read(new PacketBatch(4, 2048)));

            Assert.Contains("65535", error.Message, StringComparison.Ordinal);
            Assert.Contains("2048", error.Message, StringComparison.Ordinal);
        });
    }

    [PrivilegedFact]
    public void A_tcp_connection_through_the_tun_is_read_as_tso_superpackets()
    {
        using TestNamespace ns = TestNamespace.Create("tso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), s_offload);
            TunDevice tun = overlay.Device;
            var batch = new PacketBatch(8, BigSlot);
            const ushort Port = 80;
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            Task connect = client.ConnectAsync(new IPEndPoint(IPAddress.Parse("10.244.7.9"), Port));

            // Play the remote end of the handshake by hand: answer the SYN, advertising an MSS that fits the TUN's MTU.
            var syn = TunReads.Find(tun, batch, p => IsTcpTo(p, Port) && (TcpSegments.Flags(p) & TcpSegments.Syn) != 0);
            Assert.NotNull(syn);
            byte[] synPacket = syn.Value.Packet;
            ushort clientPort = TcpSegments.SourcePort(synPacket);
            const uint ServerSequence = 7_000_000;
            byte[] synAck = TcpSegments.Build(s_remotePod, Port, OverlayAddresses.LeaseAddress, clientPort, ServerSequence,
                TcpSegments.Sequence(synPacket) + 1, TcpSegments.Syn | TcpSegments.Ack, [], Mss);
            Assert.Equal(1, tun.Write(TunReads.Single(synAck, OffloadInfo.None, BigSlot)));
            Assert.True(connect.Wait(TimeSpan.FromSeconds(10)), "the client never saw the handshake complete");

            byte[] data = Payloads.Create(60_000, 9);
            Task<int> sending = client.SendAsync(data, SocketFlags.None);
            var superpacket = TunReads.Find(tun, batch, p => IsTcpTo(p, Port) && TcpSegments.Payload(p).Length > 0);

            Assert.NotNull(superpacket);
            (byte[] packet, OffloadInfo offload) = superpacket.Value;
            Assert.Equal(GsoType.TcpV4, offload.GsoType);
            Assert.Equal(Mss, offload.GsoSize);
            Assert.True(packet.Length > OverlayAddresses.Mtu, $"a {packet.Length}-byte read is no superpacket");
            Assert.Equal(OffloadFlags.NeedsChecksum, offload.Flags);
            Assert.Equal(20, offload.ChecksumStart);
            Assert.Equal(16, offload.ChecksumOffset);
            Assert.Equal(packet.Length, UdpPacket.TotalLength(packet));
            Assert.Equal(data.AsSpan(0, packet.Length - TcpSegments.HeadersLength(packet)).ToArray(), TcpSegments.Payload(packet).ToArray());
            client.Close();
            _ = sending.ContinueWith(static t => t.Exception, TaskScheduler.Default);
        });
    }

    [PrivilegedFact]
    public void A_hand_built_tcp_superpacket_written_into_the_tun_reaches_the_listening_socket_as_a_stream()
    {
        using TestNamespace ns = TestNamespace.Create("tso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), s_offload);
            TunDevice tun = overlay.Device;
            using InboundConnection connection = InboundConnection.Open(tun);

            // Eight 1000-byte segments as one packet: the kernel checks and splits it as if GRO had built it.
            byte[] data = Payloads.Create(8000, 4);
            byte[] superpacket = connection.Segment(0, data, TcpSegments.Ack | TcpSegments.Psh, partialChecksum: true);
            var offload = new OffloadInfo
            {
                Flags = OffloadFlags.NeedsChecksum,
                GsoType = GsoType.TcpV4,
                HeaderLength = 40,
                GsoSize = 1000,
                ChecksumStart = 20,
                ChecksumOffset = 16,
            };
            Assert.Equal(1, tun.Write(TunReads.Single(superpacket, offload, BigSlot)));
            Assert.Equal(0, tun.WriteFailures);
            Assert.Equal(data, connection.ReceiveAtServer(data.Length));
        });
    }

    [PrivilegedFact]
    public void Segments_merged_where_they_were_received_are_written_in_one_gathered_write_and_reach_the_socket_as_a_stream()
    {
        using TestNamespace ns = TestNamespace.Create("tso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), s_offload);
            TunDevice tun = overlay.Device;
            using InboundConnection connection = InboundConnection.Open(tun);

            // Eight ordinary segments, each in its own slot as a receive leaves them; the last carries PSH.
            const int Segments = 8;
            const int SegmentBytes = 1000;
            byte[] data = Payloads.Create(Segments * SegmentBytes, 6);
            var received = new PacketBatch(Segments, OverlayAddresses.Mtu);
            for (int i = 0; i < Segments; i++)
            {
                byte flags = i == Segments - 1 ? (byte)(TcpSegments.Ack | TcpSegments.Psh) : TcpSegments.Ack;
                byte[] segment = connection.Segment(i * SegmentBytes, data.AsSpan(i * SegmentBytes, SegmentBytes), flags);
                segment.CopyTo(received.Slot(i));
                received.Length(i) = segment.Length;
            }
            received.Count = Segments;
            var gathered = new GatheredPackets(Segments);
            new GroCoalescer(Segments).Coalesce(received, gathered);
            Assert.Equal(1, gathered.Count);
            Assert.Equal(Segments, gathered.Pieces(0));

            Assert.Equal(1, tun.Write(received, gathered));
            Assert.Equal(0, tun.WriteFailures);
            Assert.Equal(data, connection.ReceiveAtServer(data.Length));
        });
    }

    [PrivilegedFact]
    public void Plain_writes_on_one_thread_do_not_spoil_gathered_writes_on_another()
    {
        // The daemon's shape: the outbound thread writes ICMP replies (plain packets, no offload) into the queue while
        // the inbound thread writes merged segments gathered from its receive batch. Every merge must reach the
        // socket whole and every reply must be accepted, however the two interleave (with one vnet header scratch
        // for both, a merge sent with a reply's header lost its checksum offload and never arrived).
        using TestNamespace ns = TestNamespace.Create("tsw");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(60), s_offload);
            TunDevice tun = overlay.Device;
            using InboundConnection connection = InboundConnection.Open(tun);
            PacketBatch replies = TunReads.Single(
                new PacketBuilder { Source = s_remotePod, Destination = OverlayAddresses.LeaseAddress }.Udp(destinationPort: 9), OffloadInfo.None, 1500);
            const int Merges = 2000;
            const int Segments = 8;
            const int SegmentBytes = 1000;
            byte[] data = Payloads.Create(Merges * Segments * SegmentBytes, 7);
            var received = new PacketBatch(Segments, OverlayAddresses.Mtu);
            var gathered = new GatheredPackets(Segments);
            var coalescer = new GroCoalescer(Segments);

            using var done = new CancellationTokenSource();
            long repliesWritten = 0;
            var plainWriter = new Thread(() =>
            {
                for (int i = 0; i < 2_000_000 && !done.IsCancellationRequested; i++)
                {
                    Interlocked.Add(ref repliesWritten, tun.Write(replies));
                }
            })
            { IsBackground = true, Name = "plain-writer" };
            plainWriter.Start();
            try
            {
                Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref repliesWritten) > 0, TimeSpan.FromSeconds(10)), "the plain writer never wrote");
                for (int merge = 0; merge < Merges; merge++)
                {
                    int start = merge * Segments * SegmentBytes;
                    for (int i = 0; i < Segments; i++)
                    {
                        byte flags = i == Segments - 1 ? (byte)(TcpSegments.Ack | TcpSegments.Psh) : TcpSegments.Ack;
                        int offset = start + (i * SegmentBytes);
                        byte[] segment = connection.Segment(offset, data.AsSpan(offset, SegmentBytes), flags);
                        segment.CopyTo(received.Slot(i));
                        received.Length(i) = segment.Length;
                    }
                    received.Count = Segments;
                    gathered.Clear();
                    coalescer.Coalesce(received, gathered);
                    Assert.Equal(1, tun.Write(received, gathered));
                    Assert.Equal(data[start..(start + (Segments * SegmentBytes))], connection.ReceiveAtServer(Segments * SegmentBytes));
                }
            }
            finally
            {
                done.Cancel();
                Assert.True(plainWriter.Join(TimeSpan.FromSeconds(30)), "the plain writer did not stop");
            }
            Assert.Equal(0, tun.WriteFailures);
        });
    }

    /// <summary>
    /// A TCP connection from the remote pod to a listener on the lease address, opened by writing the client's
    /// segments into the TUN and reading the server's back; <see cref="Segment"/> builds the client's next data.
    /// </summary>
    private sealed class InboundConnection : IDisposable
    {
        private const ushort ServerPort = 7000;
        private const ushort ClientPort = 40000;
        private const uint ClientSequence = 5000;
        private readonly Socket _listener;
        private readonly Socket _server;
        private readonly uint _serverNext;

        private InboundConnection(Socket listener, Socket server, uint serverNext)
        {
            _listener = listener;
            _server = server;
            _serverNext = serverNext;
        }

        public static InboundConnection Open(TunDevice tun)
        {
            var batch = new PacketBatch(8, BigSlot);
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Parse(Ipv4.Format(OverlayAddresses.LeaseAddress)), ServerPort));
            listener.Listen();
            Task<Socket> accept = listener.AcceptAsync();

            byte[] synIn = TcpSegments.Build(s_remotePod, ClientPort, OverlayAddresses.LeaseAddress, ServerPort, ClientSequence, 0, TcpSegments.Syn, [], Mss);
            Assert.Equal(1, tun.Write(TunReads.Single(synIn, OffloadInfo.None, BigSlot)));
            var synAck = TunReads.Find(tun, batch, p => TcpSegments.IsIpv4Tcp(p) && TcpSegments.DestinationPort(p) == ClientPort);
            Assert.NotNull(synAck);
            uint serverNext = TcpSegments.Sequence(synAck.Value.Packet) + 1;
            byte[] ack = TcpSegments.Build(s_remotePod, ClientPort, OverlayAddresses.LeaseAddress, ServerPort, ClientSequence + 1, serverNext, TcpSegments.Ack, []);
            Assert.Equal(1, tun.Write(TunReads.Single(ack, OffloadInfo.None, BigSlot)));
            Assert.True(accept.Wait(TimeSpan.FromSeconds(10)), "the listener never accepted");
            return new InboundConnection(listener, accept.Result, serverNext);
        }

        /// <summary>The client's segment carrying <paramref name="payload"/> from stream offset <paramref name="offset"/>.</summary>
        public byte[] Segment(int offset, ReadOnlySpan<byte> payload, byte flags, bool partialChecksum = false) =>
            TcpSegments.Build(s_remotePod, ClientPort, OverlayAddresses.LeaseAddress, ServerPort, ClientSequence + 1 + (uint)offset,
                _serverNext, flags, payload, partialChecksum: partialChecksum);

        /// <summary>Reads exactly <paramref name="length"/> bytes from the accepted connection.</summary>
        public byte[] ReceiveAtServer(int length)
        {
            _server.ReceiveTimeout = 10_000;
            byte[] received = new byte[length];
            int total = 0;
            while (total < received.Length)
            {
                int got = _server.Receive(received, total, received.Length - total, SocketFlags.None);
                Assert.True(got > 0, "the connection closed early");
                total += got;
            }
            return received;
        }

        public void Dispose()
        {
            _server.Dispose();
            _listener.Dispose();
        }
    }

    [PrivilegedFact]
    public void A_udp_gso_send_into_the_overlay_is_read_as_one_udp_superpacket_when_uso_is_on()
    {
        using TestNamespace ns = TestNamespace.Create("uso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), s_offload);
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;
            int[] sizes = [.. Enumerable.Repeat(1000, 10)];
            byte[] expected = SendGsoRun(shutdown, sizes);
            var batch = new PacketBatch(8, BigSlot);

            var packets = TunReads.Collect(tun, batch, p => IsUdpToRemotePod(p), tun.UsoEnabled ? 1 : sizes.Length);

            if (tun.UsoEnabled)
            {
                (byte[] packet, OffloadInfo offload) = Assert.Single(packets);
                Assert.Equal(GsoType.UdpL4, offload.GsoType);
                Assert.Equal(1000, offload.GsoSize);
                Assert.Equal(OffloadFlags.NeedsChecksum, offload.Flags);
                Assert.Equal(20, offload.ChecksumStart);
                Assert.Equal(6, offload.ChecksumOffset);
                Assert.Equal(28 + expected.Length, packet.Length);
                Assert.Equal(expected, UdpPacket.Payload(packet).ToArray());
            }
            else
            {
                AssertSegmentedByTheKernel(packets, sizes, expected);
            }
        });
    }

    [PrivilegedFact]
    public void Without_uso_the_kernel_segments_udp_before_the_tun()
    {
        using TestNamespace ns = TestNamespace.Create("uso");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), s_offload with { Uso = false });
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;
            int[] sizes = [.. Enumerable.Repeat(1000, 10)];
            byte[] expected = SendGsoRun(shutdown, sizes);

            var packets = TunReads.Collect(tun, new PacketBatch(16, BigSlot), p => IsUdpToRemotePod(p), sizes.Length);

            AssertSegmentedByTheKernel(packets, sizes, expected);
        });
    }

    [PrivilegedFact]
    public void Offload_reads_and_writes_allocate_nothing()
    {
        using TestNamespace ns = TestNamespace.Create("tso");
        NamespaceThread.Run(ns.Name, () =>
        {
            const int Packets = 8;
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(30), s_offload);
            ShutdownSignal shutdown = overlay.Shutdown;
            TunDevice tun = overlay.Device;
            using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, Packets, shutdown, new UdpSocketOptions { ReceiveBufferBytes = 1 << 20 });
            // Out through the TUN: datagrams to the remote pod. In through the TUN: packets from it to the socket.
            PacketBatch toPod = Datagrams.BatchOf(2048, [.. Enumerable.Repeat(300, Packets)], new PeerEndpoint(s_remotePod, 5000));
            var intoTun = new PacketBatch(Packets, 2048);
            for (int i = 0; i < Packets; i++)
            {
                byte[] packet = UdpPacket.Build(s_remotePod, 5000, OverlayAddresses.LeaseAddress, socket.LocalPort, Payloads.Create(300, i));
                packet.CopyTo(intoTun.Slot(i));
                intoTun.Length(i) = packet.Length;
            }
            intoTun.Count = Packets;
            var gathered = new GatheredPackets(Packets);
            for (int i = 0; i < Packets; i++)
            {
                gathered.Add(i, intoTun.Length(i));
            }
            var fromTun = new PacketBatch(Packets, BigSlot);
            var atSocket = new PacketBatch(Packets, 2048);

            int warmUp = RoundTrips(tun, socket, toPod, fromTun, intoTun, gathered, atSocket, rounds: 100);
            int measured = 0;
            int windows = SteadyStateAllocation.AssertClean(
                () => SteadyStateAllocation.BytesAllocatedBy(() => measured += RoundTrips(tun, socket, toPod, fromTun, intoTun, gathered, atSocket, rounds: 200)),
                $"200 round trips of {Packets} packets");

            Assert.Equal(100, warmUp);
            Assert.Equal(windows * 200, measured);
            Assert.False(overlay.Watchdog.Fired);
        });
    }

    /// <summary>Rounds in which every packet went out through the TUN and every packet came in through it.</summary>
    private static int RoundTrips(TunDevice tun, UdpBatchSocket socket, PacketBatch toPod, PacketBatch fromTun, PacketBatch intoTun,
        GatheredPackets gathered, PacketBatch atSocket, int rounds)
    {
        int complete = 0;
        for (int round = 0; round < rounds; round++)
        {
            int expected = socket.Send(toPod);
            int read = 0;
            for (int reads = 0; read < expected && reads < 100 && tun.Read(fromTun); reads++)
            {
                for (int i = 0; i < fromTun.Count; i++)
                {
                    if (IsUdpToRemotePod(fromTun.Packet(i)))
                    {
                        read++;
                    }
                }
            }
            // Odd rounds write the same packets as a gather list of one piece each.
            int written = round % 2 == 0 ? tun.Write(intoTun) : tun.Write(intoTun, gathered);
            int received = 0;
            while (received < written && socket.Receive(atSocket))
            {
                received += atSocket.Count;
            }
            if (expected == toPod.Count && read == expected && written == intoTun.Count && received == written)
            {
                complete++;
            }
        }
        return complete;
    }

    /// <summary>Sends one GSO run from the lease address to the remote pod; returns the concatenated payloads.</summary>
    private static byte[] SendGsoRun(ShutdownSignal shutdown, int[] sizes)
    {
        using UdpBatchSocket socket = UdpBatchSocket.Open(OverlayAddresses.LeaseAddress, 0, 16, shutdown, new UdpSocketOptions { Gso = true });
        Assert.Equal(sizes.Length, socket.Send(Datagrams.BatchOf(2048, sizes, new PeerEndpoint(s_remotePod, 5000))));
        Assert.Equal(1, socket.GsoRuns);
        return [.. Enumerable.Range(0, sizes.Length).SelectMany(i => Payloads.Create(sizes[i], i))];
    }

    private static void AssertSegmentedByTheKernel(List<(byte[] Packet, OffloadInfo Offload)> packets, int[] sizes, byte[] expected)
    {
        Assert.Equal(sizes.Length, packets.Count);
        Assert.All(packets, p => Assert.Equal(GsoType.None, p.Offload.GsoType));
        Assert.Equal(expected, packets.SelectMany(p => UdpPacket.Payload(p.Packet).ToArray()).ToArray());
    }

    private static bool IsUdpToRemotePod(ReadOnlySpan<byte> packet) => UdpPacket.IsIpv4Udp(packet) && UdpPacket.Destination(packet) == s_remotePod;

    private static bool IsTcpTo(byte[] packet, ushort port) =>
        TcpSegments.IsIpv4Tcp(packet) && UdpPacket.Destination(packet) == s_remotePod && TcpSegments.DestinationPort(packet) == port;
}
