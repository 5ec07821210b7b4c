using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Udp;

/// <summary>recvmmsg/sendmmsg batches between two sockets on 127.0.0.1; needs no privileges.</summary>
public sealed class UdpBatchSocketLoopbackTests : IDisposable
{
    private const int SlotSize = 2048;
    private static readonly uint s_loopback = Ipv4.Parse("127.0.0.1");

    private readonly ShutdownSignal _shutdown = new();
    private readonly ShutdownWatchdog _watchdog;

    public UdpBatchSocketLoopbackTests() => _watchdog = new ShutdownWatchdog(_shutdown, TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _watchdog.Dispose();
        _shutdown.Dispose();
    }

    [Fact]
    public void Open_binds_the_given_address_and_reports_the_kernel_chosen_port()
    {
        using UdpBatchSocket socket = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown);

        Assert.Equal(s_loopback, socket.BindAddress);
        Assert.NotEqual(0, socket.LocalPort);
        Assert.Equal(new PeerEndpoint(s_loopback, socket.LocalPort), socket.LocalEndpoint);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Each_slot_reports_its_own_outcome_when_a_refused_datagram_sits_between_accepted_ones(bool gso)
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, new UdpSocketOptions { Gso = gso });
        var refused = new PeerEndpoint(s_loopback, 0);
        // Port 0 is no destination: the kernel refuses that entry alone (EINVAL) and sendmmsg goes on after it.
        PeerEndpoint[] destinations = [receiver.LocalEndpoint, receiver.LocalEndpoint, refused, receiver.LocalEndpoint, receiver.LocalEndpoint];
        int[] sizes = [300, 300, 100, 500, 0];
        PacketBatch batch = Datagrams.BatchOf(SlotSize, sizes, i => destinations[i]);

        int sent = sender.Send(batch);

        Assert.Equal(3, sent);
        Assert.Equal(SlotOutcome.Done, batch.Outcome(0));
        Assert.Equal(SlotOutcome.Done, batch.Outcome(1));
        Assert.Equal(LibC.EINVAL, batch.Outcome(2));
        Assert.Equal(SlotOutcome.Done, batch.Outcome(3));
        Assert.Equal(1, sender.SendFailures);
        Assert.Equal(1100, sender.BytesSent);
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(16, SlotSize), 3);
        Assert.Equal([300, 300, 500], received.Select(r => r.Bytes.Length));
    }

    [Fact]
    public void Open_on_a_port_in_use_names_the_endpoint_and_the_errno()
    {
        using UdpBatchSocket first = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown);

        var error = Assert.Throws<SystemCallException>(() => UdpBatchSocket.Open(s_loopback, first.LocalPort, 4, _shutdown));

        Assert.Equal(LibC.EADDRINUSE, error.Errno);
        Assert.Contains($"127.0.0.1:{first.LocalPort}", error.Message, StringComparison.Ordinal);
        Assert.Contains("bind", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Buffer_sizes_asked_for_are_applied()
    {
        // Below the default net.core.rmem_max/wmem_max, so the capped options apply them too when not root.
        using UdpBatchSocket socket = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown, receiveBufferBytes: 96 * 1024, sendBufferBytes: 48 * 1024);

        // The kernel doubles the value to account for bookkeeping overhead.
        Assert.Equal(2 * 96 * 1024, socket.ReceiveBufferBytes);
        Assert.Equal(2 * 48 * 1024, socket.SendBufferBytes);
    }

    [Fact]
    public void Varied_sizes_arrive_intact_in_order_with_the_senders_endpoint()
    {
        int[] sizes = [1, 20, 64, 100, 0, 576, 1000, 1400, 1472, 1500, SlotSize, 7, 333, 0, 1234, 2, 1999, 28, 1280, 9];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 32, _shutdown, receiveBufferBytes: 1 << 20);
        // A send batch larger than MaxBatch goes out in several sendmmsg calls.
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 8, _shutdown);
        var outgoing = new PacketBatch(sizes.Length, SlotSize);
        for (int i = 0; i < sizes.Length; i++)
        {
            Payloads.Fill(outgoing.Slot(i)[..sizes[i]], i);
            outgoing.Length(i) = sizes[i];
            outgoing.Endpoint(i) = receiver.LocalEndpoint;
        }
        outgoing.Count = sizes.Length;
        int[] expected = Enumerable.Range(0, sizes.Length).Where(i => sizes[i] > 0).ToArray();

        int sent = sender.Send(outgoing);

        Assert.Equal(expected.Length, sent);
        Assert.Equal(expected.Length, sender.DatagramsSent);
        Assert.Equal(sizes.Sum(), sender.BytesSent);
        Assert.Equal(0, sender.SendFailures);

        var incoming = new PacketBatch(32, SlotSize);
        var received = new List<(byte[] Bytes, PeerEndpoint Source)>();
        while (received.Count < expected.Length && receiver.Receive(incoming))
        {
            for (int i = 0; i < incoming.Count; i++)
            {
                received.Add((incoming.Packet(i).ToArray(), incoming.Endpoint(i)));
            }
        }
        Assert.Equal(expected.Length, received.Count);
        for (int n = 0; n < expected.Length; n++)
        {
            int original = expected[n];
            Assert.Equal(Payloads.Create(sizes[original], original), received[n].Bytes);
            Assert.Equal(sender.LocalEndpoint, received[n].Source);
        }
        Assert.Equal(expected.Length, receiver.DatagramsReceived);
        Assert.Equal(sizes.Sum(), receiver.BytesReceived);
        Assert.Equal(0, receiver.TruncatedDatagrams);
    }

    [Fact]
    public void A_datagram_longer_than_its_slot_is_reported_as_length_zero_and_counted()
    {
        const int SmallSlot = 256;
        int[] sizes = [100, 1000, 50, SmallSlot, SmallSlot + 1];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        PacketBatch outgoing = BatchOf(sizes, receiver.LocalEndpoint);
        Assert.Equal(sizes.Length, sender.Send(outgoing));

        var incoming = new PacketBatch(16, SmallSlot);
        var lengths = new List<int>();
        while (lengths.Count < sizes.Length && receiver.Receive(incoming))
        {
            for (int i = 0; i < incoming.Count; i++)
            {
                lengths.Add(incoming.Length(i));
                if (incoming.Length(i) > 0)
                {
                    Assert.Equal(Payloads.Create(incoming.Length(i), sizes.AsSpan().IndexOf(incoming.Length(i))), incoming.Packet(i).ToArray());
                }
            }
        }

        Assert.Equal([100, 0, 50, SmallSlot, 0], lengths);
        Assert.Equal(2, receiver.TruncatedDatagrams);
        Assert.Equal(3, receiver.DatagramsReceived);
    }

    [Fact]
    public void A_datagram_the_kernel_refuses_is_skipped_and_the_rest_still_go()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        PacketBatch outgoing = BatchOf([40, 50, 60, 70], receiver.LocalEndpoint);
        // UDP refuses destination port 0 with EINVAL, for that datagram only.
        outgoing.Endpoint(1) = new PeerEndpoint(s_loopback, 0);

        int sent = sender.Send(outgoing);

        Assert.Equal(3, sent);
        Assert.Equal(1, sender.SendFailures);
        Assert.Equal(LibC.EINVAL, sender.LastSendErrno);
        var incoming = new PacketBatch(16, SlotSize);
        var lengths = new List<int>();
        while (lengths.Count < 3 && receiver.Receive(incoming))
        {
            for (int i = 0; i < incoming.Count; i++)
            {
                lengths.Add(incoming.Length(i));
            }
        }
        Assert.Equal([40, 60, 70], lengths);
    }

    [Fact]
    public void Receive_fills_at_most_max_batch_slots_per_call()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        Assert.Equal(10, sender.Send(BatchOf(Enumerable.Repeat(30, 10).ToArray(), receiver.LocalEndpoint)));

        var incoming = new PacketBatch(16, SlotSize);
        Assert.True(receiver.Receive(incoming));

        Assert.Equal(4, incoming.Count);
    }

    [Fact]
    public void Shutdown_wakes_a_blocked_receive_which_then_returns_false()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown);
        var incoming = new PacketBatch(4, SlotSize);
        bool? result = null;
        var thread = new Thread(() => result = receiver.Receive(incoming)) { IsBackground = true };
        thread.Start();

        Assert.False(thread.Join(TimeSpan.FromMilliseconds(300)), "Receive returned with nothing to receive");
        _shutdown.Signal();

        Assert.True(thread.Join(TimeSpan.FromSeconds(5)), "Receive did not wake on shutdown");
        Assert.False(result);
        Assert.Equal(0, incoming.Count);
        Assert.Equal(0, receiver.FaultErrno);
        Assert.False(receiver.Receive(incoming));
    }

    private static PacketBatch BatchOf(int[] sizes, PeerEndpoint destination)
    {
        var batch = new PacketBatch(sizes.Length, SlotSize);
        for (int i = 0; i < sizes.Length; i++)
        {
            Payloads.Fill(batch.Slot(i)[..sizes[i]], i);
            batch.Length(i) = sizes[i];
            batch.Endpoint(i) = destination;
        }
        batch.Count = sizes.Length;
        return batch;
    }
}
