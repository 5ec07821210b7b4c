using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Tun;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Packets;
using Overlay.TestKit.Privileged;
using Xunit.Abstractions;

namespace Overlay.Linux.Tests.Tun;

/// <summary>
/// Two threads write one offload TUN queue at once, as overlayd's do: the outbound thread ICMP-sized replies with no
/// offload metadata, the inbound thread 40-datagram merges with UDP GSO metadata. Each has its own writer, so every
/// packet reaches the kernel whole and with the metadata it was written with; one writer cannot be shared.
/// </summary>
public sealed class TunWriterConcurrencyTests(ITestOutputHelper output)
{
    private const int SegmentsPerMerge = 40;
    private const int SegmentBytes = 1000;
    private const int ReplyBytes = 56;
    private const ushort ReplyPort = 7101;
    private const ushort MergePort = 7102;
    private static readonly uint s_remotePod = Ipv4.Parse("10.244.7.9");
    private static readonly TunOptions s_offload = new() { Offload = true };

    [PrivilegedFact]
    public void Replies_and_merges_written_concurrently_for_seconds_all_arrive_whole()
    {
        using TestNamespace ns = TestNamespace.Create("twrite");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var bench = TwoWriters.Open(TimeSpan.FromSeconds(50));
            (TunDevice tun, Socket replies, Socket merges, TunWriter replyWriter, TunWriter mergeWriter) = bench;

            const int Rounds = 300;
            const int RepliesPerRound = 64;
            var replyBatch = new PacketBatch(RepliesPerRound, TunQueue.OffloadSlotBytes);
            var mergeBatch = new PacketBatch(SegmentsPerMerge, OverlayAddresses.Mtu);
            var gathered = new GatheredPackets(SegmentsPerMerge);
            var coalescer = new GroCoalescer(SegmentsPerMerge, mergeUdp: true);
            int repliesWritten = 0;
            int mergesWritten = 0;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);

            var replying = Worker(() =>
            {
                for (int round = 0; round < Rounds && DateTime.UtcNow < deadline; round++)
                {
                    FillReplies(replyBatch, round);
                    repliesWritten += replyWriter.Write(replyBatch);
                }
            });
            var merging = Worker(() =>
            {
                for (int round = 0; round < Rounds && DateTime.UtcNow < deadline; round++)
                {
                    FillSegments(mergeBatch, round);
                    coalescer.Coalesce(mergeBatch, gathered);
                    if (gathered.Count != 1)
                    {
                        throw new InvalidOperationException($"the coalescer made {gathered.Count} packets of one flow's 40 datagrams");
                    }
                    mergesWritten += mergeWriter.Write(mergeBatch, gathered);
                }
            });
            var receivedReplies = new HashSet<int>();
            var receivedSegments = new HashSet<int>();
            var receiving = Worker(() => Receive(replies, merges, receivedReplies, receivedSegments, Rounds, deadline + TimeSpan.FromSeconds(5)));
            receiving.Start();
            replying.Start();
            merging.Start();
            replying.Join();
            merging.Join();
            receiving.Join();

            output.WriteLine($"replies written {repliesWritten}, received {receivedReplies.Count}; merges written {mergesWritten}, " +
                $"datagrams from them received {receivedSegments.Count}; TUN write failures {tun.WriteFailures}");
            Assert.Equal(0, tun.WriteFailures);
            Assert.Equal(Rounds * RepliesPerRound, repliesWritten);
            Assert.Equal(Rounds, mergesWritten);
            Assert.Equal(Rounds * RepliesPerRound, receivedReplies.Count);
            Assert.Equal(Rounds * SegmentsPerMerge, receivedSegments.Count);
        });
    }

    /// <summary>
    /// The exact window of the old shared header, forced both ways: one writer's header is built, then the other
    /// writer builds its own header and writes, then the first writes. A merge that took the reply's zeroed header
    /// would arrive as one oversized datagram with a partial checksum; a reply that took the merge's, with GSO fields.
    /// </summary>
    [PrivilegedTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_write_paused_between_its_header_and_its_syscall_while_the_other_thread_writes_still_arrives_as_written(bool pauseTheMerge)
    {
        using TestNamespace ns = TestNamespace.Create("twrite");
        NamespaceThread.Run(ns.Name, () =>
        {
            using var bench = TwoWriters.Open(TimeSpan.FromSeconds(30));
            (TunDevice tun, Socket replies, Socket merges, TunWriter replyWriter, TunWriter mergeWriter) = bench;
            var replyBatch = new PacketBatch(1, TunQueue.OffloadSlotBytes);
            FillReplies(replyBatch, round: 0);
            var mergeBatch = new PacketBatch(SegmentsPerMerge, OverlayAddresses.Mtu);
            var gathered = new GatheredPackets(SegmentsPerMerge);
            FillSegments(mergeBatch, round: 0);
            new GroCoalescer(SegmentsPerMerge, mergeUdp: true).Coalesce(mergeBatch, gathered);
            Assert.Equal(GsoType.UdpL4, gathered.Offload(0).GsoType);

            using var headerBuilt = new ManualResetEventSlim();
            using var otherDone = new ManualResetEventSlim();
            TunWriter paused = pauseTheMerge ? mergeWriter : replyWriter;
            paused.AfterHeaderBuilt = () =>
            {
                headerBuilt.Set();
                Assert.True(otherDone.Wait(TimeSpan.FromSeconds(10)), "the other writer never finished");
            };
            int replyWritten = 0;
            int mergeWritten = 0;
            WorkerThread other = Worker(() =>
            {
                headerBuilt.Wait(TimeSpan.FromSeconds(10));
                if (pauseTheMerge)
                {
                    replyWritten = replyWriter.Write(replyBatch);
                }
                else
                {
                    mergeWritten = mergeWriter.Write(mergeBatch, gathered);
                }
                otherDone.Set();
            });
            other.Start();
            if (pauseTheMerge)
            {
                mergeWritten = mergeWriter.Write(mergeBatch, gathered);
            }
            else
            {
                replyWritten = replyWriter.Write(replyBatch);
            }
            other.Join();

            Assert.Equal(1, replyWritten);
            Assert.Equal(1, mergeWritten);
            Assert.Equal(0, tun.WriteFailures);
            var receivedReplies = new HashSet<int>();
            var receivedSegments = new HashSet<int>();
            Receive(replies, merges, receivedReplies, receivedSegments, rounds: 1, DateTime.UtcNow + TimeSpan.FromSeconds(5), repliesPerRound: 1);
            Assert.Equal([0], receivedReplies);
            Assert.Equal(SegmentsPerMerge, receivedSegments.Count);
        });
    }

    [PrivilegedFact]
    public void A_writer_refuses_a_second_thread()
    {
        using TestNamespace ns = TestNamespace.Create("twrite");
        NamespaceThread.Run(ns.Name, () =>
        {
            using FlannelTun overlay = FlannelTun.Create(TimeSpan.FromSeconds(20), s_offload);
            TunWriter writer = overlay.Device.Queues[0].CreateWriter();
            var batch = new PacketBatch(1, TunQueue.OffloadSlotBytes);
            FillReplies(batch, round: 0);
            Assert.Equal(1, writer.Write(batch));

            Exception? refused = null;
            var other = new Thread(() => refused = Record.Exception(() => writer.Write(batch)));
            other.Start();
            other.Join();

            InvalidOperationException e = Assert.IsType<InvalidOperationException>(refused);
            Assert.Contains("must take its own from CreateWriter", e.Message);
        });
    }

    /// <summary>
    /// An offload flannel0 that takes USO, a receiving socket for the replies and one for the merges' datagrams, and
    /// two writers of its one queue: the daemon's outbound and inbound threads in miniature.
    /// </summary>
    private sealed class TwoWriters : IDisposable
    {
        private readonly FlannelTun _overlay;

        private TwoWriters(FlannelTun overlay)
        {
            _overlay = overlay;
            Assert.True(overlay.Device.UsoEnabled, "this kernel takes no USO from a TUN; the merges need it");
            Replies = OpenReceiver(ReplyPort);
            Merges = OpenReceiver(MergePort);
            ReplyWriter = overlay.Device.Queues[0].CreateWriter();
            MergeWriter = overlay.Device.Queues[0].CreateWriter();
        }

        public Socket Replies { get; }

        public Socket Merges { get; }

        public TunWriter ReplyWriter { get; }

        public TunWriter MergeWriter { get; }

        public static TwoWriters Open(TimeSpan deadline) => new(FlannelTun.Create(deadline, s_offload));

        public void Deconstruct(out TunDevice tun, out Socket replies, out Socket merges, out TunWriter replyWriter, out TunWriter mergeWriter)
        {
            tun = _overlay.Device;
            replies = Replies;
            merges = Merges;
            replyWriter = ReplyWriter;
            mergeWriter = MergeWriter;
        }

        public void Dispose()
        {
            Replies.Dispose();
            Merges.Dispose();
            _overlay.Dispose();
        }
    }

    /// <summary>A thread whose failure is rethrown by <see cref="WorkerThread.Join"/> on the test's thread.</summary>
    private static WorkerThread Worker(Action body) => new(body);

    private sealed class WorkerThread
    {
        private readonly Thread _thread;
        private Exception? _failure;

        public WorkerThread(Action body) => _thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                _failure = e;
            }
        });

        public void Start() => _thread.Start();

        public void Join()
        {
            _thread.Join();
            if (_failure is not null)
            {
                throw new InvalidOperationException("a writing thread failed", _failure);
            }
        }
    }

    /// <summary>ICMP-sized UDP datagrams, numbered round * 64 + i, with no offload metadata.</summary>
    private static void FillReplies(PacketBatch batch, int round)
    {
        Span<byte> payload = stackalloc byte[ReplyBytes];
        for (int i = 0; i < batch.Capacity; i++)
        {
            int id = (round * batch.Capacity) + i;
            payload.Fill((byte)id);
            BinaryPrimitives.WriteInt32BigEndian(payload, id);
            byte[] packet = Datagram(ReplyPort, payload);
            packet.CopyTo(batch.Slot(i));
            batch.Length(i) = packet.Length;
            batch.Offload(i) = OffloadInfo.None;
        }
        batch.Count = batch.Capacity;
    }

    /// <summary>40 equal datagrams of one flow, numbered round * 40 + i, as a receive batch holds them before merging.</summary>
    private static void FillSegments(PacketBatch batch, int round)
    {
        Span<byte> payload = stackalloc byte[SegmentBytes];
        for (int i = 0; i < SegmentsPerMerge; i++)
        {
            int id = (round * SegmentsPerMerge) + i;
            payload.Fill((byte)(id * 7));
            BinaryPrimitives.WriteInt32BigEndian(payload, id);
            byte[] packet = Datagram(MergePort, payload);
            packet.CopyTo(batch.Slot(i));
            batch.Length(i) = packet.Length;
        }
        batch.Count = SegmentsPerMerge;
    }

    private static byte[] Datagram(ushort port, ReadOnlySpan<byte> payload)
    {
        byte[] packet = UdpPacket.Build(s_remotePod, 40000, OverlayAddresses.LeaseAddress, port, payload);
        // DF, as a GRO receive's datagrams of one flow carry it: the coalescer then needs no consecutive IPv4 ids.
        packet[6] = 0x40;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), UdpPacket.HeaderChecksum(packet.AsSpan(0, 20)));
        int udpLength = packet.Length - 20;
        ushort checksum = ReferenceChecksum.Compute(packet.AsSpan(20), ReferenceChecksum.PseudoHeaderSum(s_remotePod, OverlayAddresses.LeaseAddress, 17, udpLength));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(26), checksum == 0 ? (ushort)0xFFFF : checksum);
        return packet;
    }

    private static Socket OpenReceiver(ushort port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        // SO_RCVBUFFORCE (root): room for every datagram of the run even if this thread is slow to read.
        socket.SetRawSocketOption(1, 33, BitConverter.GetBytes(64 << 20));
        socket.Bind(new IPEndPoint(IPAddress.Parse(Ipv4.Format(OverlayAddresses.LeaseAddress)), port));
        socket.ReceiveTimeout = 200;
        return socket;
    }

    /// <summary>Reads both sockets until every datagram is in or the deadline passes; checks each payload whole.</summary>
    private static void Receive(Socket replies, Socket merges, HashSet<int> replyIds, HashSet<int> segmentIds, int rounds, DateTime deadline,
        int repliesPerRound = 64)
    {
        byte[] buffer = new byte[2048];
        while (DateTime.UtcNow < deadline && (replyIds.Count < rounds * repliesPerRound || segmentIds.Count < rounds * SegmentsPerMerge))
        {
            foreach ((Socket socket, HashSet<int> ids, int size, int multiplier) in (ReadOnlySpan<(Socket, HashSet<int>, int, int)>)
                [(replies, replyIds, ReplyBytes, 1), (merges, segmentIds, SegmentBytes, 7)])
            {
                while (socket.Available > 0)
                {
                    int got = socket.Receive(buffer);
                    Assert.Equal(size, got);
                    int id = BinaryPrimitives.ReadInt32BigEndian(buffer);
                    for (int b = 4; b < size; b++)
                    {
                        Assert.Equal((byte)(id * multiplier), buffer[b]);
                    }
                    Assert.True(ids.Add(id), $"datagram {id} arrived twice");
                }
            }
            Thread.Sleep(5);
        }
    }
}
