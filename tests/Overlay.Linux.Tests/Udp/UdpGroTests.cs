using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;

namespace Overlay.Linux.Tests.Udp;

/// <summary>
/// UDP GRO receives on 127.0.0.1: a GSO send reaches a UDP_GRO socket still coalesced, and Receive splits it back
/// into one datagram per slot.
/// </summary>
public sealed class UdpGroTests : IDisposable
{
    private const int SlotSize = 2048;
    private static readonly uint s_loopback = Ipv4.Parse("127.0.0.1");
    private static readonly UdpSocketOptions s_gso = new() { Gso = true };
    private static readonly UdpSocketOptions s_gro = new() { Gro = true, ReceiveBufferBytes = 8 << 20 };

    private readonly ShutdownSignal _shutdown = new();
    private readonly ShutdownWatchdog _watchdog;

    public UdpGroTests() => _watchdog = new ShutdownWatchdog(_shutdown, TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _watchdog.Dispose();
        _shutdown.Dispose();
    }

    [Fact]
    public void Coalesced_messages_are_split_into_every_datagram_in_order()
    {
        int[] sizes = [.. Enumerable.Repeat(1472, 44), 700, .. Enumerable.Repeat(1000, 10), 999];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_gro);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_gso);
        Assert.True(receiver.GroEnabled, receiver.GroUnavailableReason);

        Assert.Equal(sizes.Length, sender.Send(Datagrams.BatchOf(SlotSize, sizes, receiver.LocalEndpoint)));
        Assert.Equal(2, sender.GsoRuns);

        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(64, SlotSize), sizes.Length);
        Datagrams.AssertArrivedInOrder(sizes, Enumerable.Range(0, sizes.Length), received, sender.LocalEndpoint);
        Assert.True(receiver.GroMessages >= 1, "no message came coalesced");
        Assert.True(receiver.GroSegments > receiver.GroMessages, $"{receiver.GroMessages} GRO messages held only {receiver.GroSegments} datagrams");
        Assert.Equal(sizes.Length, receiver.DatagramsReceived);
        Assert.Equal(sizes.Sum(), receiver.BytesReceived);
        Assert.Equal(0, receiver.TruncatedDatagrams);
    }

    [Fact]
    public void Datagrams_of_exactly_one_slot_are_received_into_the_batch_where_they_belong()
    {
        // The daemon's case: the batch's slots are the TUN MTU, and a bulk TCP flow's datagrams are that long.
        const int Mtu = 1472;
        int[] sizes = [.. Enumerable.Repeat(Mtu, 44), 700];

        OneRun run = SendOneRunAndReceiveAll(sizes, receiverMessages: 64, new PacketBatch(64, Mtu));

        Assert.Equal(1, run.Calls);
        Assert.Equal(1, run.GroMessages);
        Assert.Equal(1, run.GroMessagesInPlace);
        Assert.Equal(sizes.Sum(), run.BytesReceived);
    }

    [Fact]
    public void Datagrams_shorter_than_a_slot_received_into_the_batch_are_moved_up_to_their_slots()
    {
        int[] sizes = [.. Enumerable.Repeat(1000, 30), 1];

        // 40 slots of 2 KiB hold a whole message: it is received into them.
        OneRun run = SendOneRunAndReceiveAll(sizes, receiverMessages: 64, new PacketBatch(40, SlotSize));

        Assert.Equal(1, run.Calls);
        Assert.Equal(1, run.GroMessagesInPlace);
    }

    [Fact]
    public void A_message_of_more_datagrams_than_the_batch_has_slots_is_kept_and_delivered_over_several_calls()
    {
        int[] sizes = [.. Enumerable.Repeat(100, 60)];

        // 48 slots of 2 KiB take the message, but not its 60 datagrams: it must outlive the first call.
        OneRun run = SendOneRunAndReceiveAll(sizes, receiverMessages: 64, new PacketBatch(48, SlotSize));

        Assert.Equal(2, run.Calls);
        Assert.Equal(1, run.GroMessages);
        Assert.Equal(0, run.GroMessagesInPlace);
    }

    [Fact]
    public void A_batch_smaller_than_a_coalesced_message_gets_the_rest_from_the_next_calls()
    {
        int[] sizes = [.. Enumerable.Repeat(1200, 40), 55];

        // Nothing else is sent: everything after the first call can only come from what the socket kept pending.
        OneRun run = SendOneRunAndReceiveAll(sizes, receiverMessages: 16, new PacketBatch(7, SlotSize));

        Assert.Equal((sizes.Length + 6) / 7, run.Calls);
        Assert.Equal(1, run.GroMessages);
        Assert.Equal(sizes.Length, run.GroSegments);
    }

    [Fact]
    public void Datagrams_longer_than_a_slot_take_a_slot_of_length_zero_and_are_counted()
    {
        const int SmallSlot = 256;
        int[] sizes = [200, 200, 200, 200, 300, 300, 300, 40];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, s_gro);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, s_gso);
        Assert.Equal(sizes.Length, sender.Send(Datagrams.BatchOf(SlotSize, sizes, receiver.LocalEndpoint)));

        var incoming = new PacketBatch(16, SmallSlot);
        var lengths = new List<int>();
        while (lengths.Count < sizes.Length && receiver.Receive(incoming))
        {
            for (int i = 0; i < incoming.Count; i++)
            {
                lengths.Add(incoming.Length(i));
                Assert.Equal(sender.LocalEndpoint, incoming.Endpoint(i));
                int slot = lengths.Count - 1;
                if (incoming.Length(i) > 0)
                {
                    Assert.Equal(Payloads.Create(sizes[slot], slot), incoming.Packet(i).ToArray());
                }
            }
        }

        Assert.Equal([200, 200, 200, 200, 0, 0, 0, 40], lengths);
        Assert.Equal(3, receiver.TruncatedDatagrams);
        Assert.Equal(5, receiver.DatagramsReceived);
    }

    [Fact]
    public void Datagrams_from_several_senders_keep_their_own_source()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 32, _shutdown, s_gro);
        using UdpBatchSocket first = UdpBatchSocket.Open(s_loopback, 0, 32, _shutdown, s_gso);
        using UdpBatchSocket second = UdpBatchSocket.Open(s_loopback, 0, 32, _shutdown);
        int[] fromFirst = [.. Enumerable.Repeat(800, 12)];
        int[] fromSecond = [10, 20, 30, 40, 50];
        Assert.Equal(fromFirst.Length, first.Send(Datagrams.BatchOf(SlotSize, fromFirst, receiver.LocalEndpoint)));
        Assert.Equal(fromSecond.Length, second.Send(Datagrams.BatchOf(SlotSize, fromSecond, receiver.LocalEndpoint)));

        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(32, SlotSize), fromFirst.Length + fromSecond.Length);

        var bySource = received.ToLookup(r => r.Source);
        Datagrams.AssertArrivedInOrder(fromFirst, Enumerable.Range(0, fromFirst.Length), bySource[first.LocalEndpoint].ToList(), first.LocalEndpoint);
        Datagrams.AssertArrivedInOrder(fromSecond, Enumerable.Range(0, fromSecond.Length), bySource[second.LocalEndpoint].ToList(), second.LocalEndpoint);
    }

    /// <summary>
    /// Sends <paramref name="sizes"/> as one GSO run to a fresh GRO socket, receives them all into
    /// <paramref name="into"/>, checks they arrived whole and in order, and returns the receiver's counters.
    /// </summary>
    private OneRun SendOneRunAndReceiveAll(int[] sizes, int receiverMessages, PacketBatch into)
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, receiverMessages, _shutdown, s_gro);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_gso);
        Assert.Equal(sizes.Length, sender.Send(Datagrams.BatchOf(SlotSize, sizes, receiver.LocalEndpoint)));
        Assert.Equal(1, sender.GsoRuns);

        var received = Datagrams.ReceiveAll(receiver, into, sizes.Length, out int calls);

        Datagrams.AssertArrivedInOrder(sizes, Enumerable.Range(0, sizes.Length), received, sender.LocalEndpoint);
        return new OneRun(calls, receiver.GroMessages, receiver.GroSegments, receiver.GroMessagesInPlace, receiver.BytesReceived);
    }

    private readonly record struct OneRun(int Calls, long GroMessages, long GroSegments, long GroMessagesInPlace, long BytesReceived);

    [Fact]
    public void Shutdown_wakes_a_blocked_gro_receive_which_then_returns_false()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown, s_gro);
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
    }
}
