using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Tests.Support;
using Overlay.Linux.Udp;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Udp;

/// <summary>UDP GSO sends on 127.0.0.1 to plain receivers, which see every datagram as if it had been sent alone.</summary>
public sealed class UdpGsoTests : IDisposable
{
    private const int SlotSize = 2048;
    private static readonly uint s_loopback = Ipv4.Parse("127.0.0.1");
    private static readonly UdpSocketOptions s_gso = new() { Gso = true };
    private static readonly UdpSocketOptions s_bigReceiveBuffer = new() { ReceiveBufferBytes = 8 << 20 };

    private readonly ShutdownSignal _shutdown = new();
    private readonly ShutdownWatchdog _watchdog;

    public UdpGsoTests() => _watchdog = new ShutdownWatchdog(_shutdown, TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _watchdog.Dispose();
        _shutdown.Dispose();
    }

    [Fact]
    public void Gso_is_on_when_asked_for_and_off_by_default()
    {
        using UdpBatchSocket gso = UdpBatchSocket.Open(s_loopback, 0, 8, _shutdown, s_gso);
        using UdpBatchSocket plain = UdpBatchSocket.Open(s_loopback, 0, 8, _shutdown);

        Assert.True(gso.GsoEnabled, gso.GsoDisabledReason);
        Assert.Null(gso.GsoDisabledReason);
        Assert.False(plain.GsoEnabled);
        Assert.Null(plain.GsoDisabledReason);
    }

    [Fact]
    public void Forty_four_full_datagrams_and_a_shorter_last_go_as_one_message_and_arrive_as_45()
    {
        int[] sizes = [.. Enumerable.Repeat(1472, 44), 700];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_gso);
        PacketBatch outgoing = Datagrams.BatchOf(SlotSize, sizes, receiver.LocalEndpoint);

        int sent = sender.Send(outgoing);

        Assert.Equal(45, sent);
        Assert.Equal(45, sender.DatagramsSent);
        Assert.Equal(sizes.Sum(), sender.BytesSent);
        Assert.Equal(1, sender.GsoRuns);
        Assert.Equal(45, sender.GsoSegments);
        Assert.Equal(0, sender.SendFailures);
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(64, SlotSize), 45);
        Datagrams.AssertArrivedInOrder(sizes, Enumerable.Range(0, sizes.Length), received, sender.LocalEndpoint);
    }

    [Theory]
    [InlineData(100, 500, 2)] // 64 + 36: the kernel's limit of 64 segments per message
    [InlineData(50, 1472, 2)] // 44 + 6: 45 x 1472 would exceed 65,507 payload bytes
    [InlineData(64, 1000, 1)]
    [InlineData(2, 1, 1)]
    public void Runs_end_at_64_datagrams_or_65507_bytes(int count, int size, int expectedRuns)
    {
        int[] sizes = [.. Enumerable.Repeat(size, count)];
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 128, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 128, _shutdown, s_gso);

        Assert.Equal(count, sender.Send(Datagrams.BatchOf(SlotSize, sizes, receiver.LocalEndpoint)));

        Assert.Equal(expectedRuns, sender.GsoRuns);
        Assert.Equal(count, sender.GsoSegments);
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(128, SlotSize), count);
        Datagrams.AssertArrivedInOrder(sizes, Enumerable.Range(0, count), received, sender.LocalEndpoint);
    }

    [Fact]
    public void Mixed_endpoints_sizes_and_empty_slots_all_arrive_in_order()
    {
        using UdpBatchSocket a = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket b = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_bigReceiveBuffer);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 64, _shutdown, s_gso);
        // Runs: A 1000 x3 | B 1000 x2 | A 500 | A 1200, 1200, (empty), 1200, 100 | A 1300 | B 64 x3, 30 | A 1
        (int Size, char To)[] plan =
        [
            (1000, 'A'), (1000, 'A'), (1000, 'A'), (1000, 'B'), (1000, 'B'), (500, 'A'),
            (1200, 'A'), (1200, 'A'), (0, 'A'), (1200, 'A'), (100, 'A'), (1300, 'A'),
            (64, 'B'), (64, 'B'), (64, 'B'), (30, 'B'), (1, 'A'),
        ];
        int[] sizes = plan.Select(p => p.Size).ToArray();
        PacketBatch outgoing = Datagrams.BatchOf(SlotSize, sizes, i => plan[i].To == 'A' ? a.LocalEndpoint : b.LocalEndpoint);
        int[] toA = Enumerable.Range(0, plan.Length).Where(i => plan[i].To == 'A').ToArray();
        int[] toB = Enumerable.Range(0, plan.Length).Where(i => plan[i].To == 'B').ToArray();
        int nonEmpty = sizes.Count(s => s > 0);

        Assert.Equal(nonEmpty, sender.Send(outgoing));

        Assert.Equal(4, sender.GsoRuns);
        Assert.Equal(3 + 2 + 4 + 4, sender.GsoSegments);
        Assert.Equal(sizes.Sum(), sender.BytesSent);
        var atA = Datagrams.ReceiveAll(a, new PacketBatch(64, SlotSize), toA.Count(i => sizes[i] > 0));
        var atB = Datagrams.ReceiveAll(b, new PacketBatch(64, SlotSize), toB.Length);
        Datagrams.AssertArrivedInOrder(sizes, toA, atA, sender.LocalEndpoint);
        Datagrams.AssertArrivedInOrder(sizes, toB, atB, sender.LocalEndpoint);
    }

    [Fact]
    public void A_run_refused_for_its_destination_is_counted_per_datagram_and_gso_stays_on()
    {
        using UdpBatchSocket receiver = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown);
        using UdpBatchSocket sender = UdpBatchSocket.Open(s_loopback, 0, 16, _shutdown, s_gso);
        // UDP refuses destination port 0 with EINVAL, one of the errnos that can also mean "no GSO here".
        var nowhere = new PeerEndpoint(s_loopback, 0);
        int[] sizes = [300, 300, 300, 200, 200];
        PacketBatch outgoing = Datagrams.BatchOf(SlotSize, sizes, i => i < 3 ? nowhere : receiver.LocalEndpoint);

        int sent = sender.Send(outgoing);

        Assert.Equal(2, sent);
        Assert.Equal(3, sender.SendFailures);
        Assert.Equal(LibC.EINVAL, sender.LastSendErrno);
        Assert.True(sender.GsoEnabled, sender.GsoDisabledReason);
        Assert.Equal(1, sender.GsoRuns);
        var received = Datagrams.ReceiveAll(receiver, new PacketBatch(16, SlotSize), 2);
        Datagrams.AssertArrivedInOrder(sizes, [3, 4], received, sender.LocalEndpoint);
    }

    [Fact]
    public void Buffer_sizes_from_the_options_are_applied()
    {
        // Below the default net.core.rmem_max/wmem_max, so the capped options apply them too when not root.
        var options = new UdpSocketOptions { Gso = true, ReceiveBufferBytes = 80 * 1024, SendBufferBytes = 40 * 1024 };

        using UdpBatchSocket socket = UdpBatchSocket.Open(s_loopback, 0, 4, _shutdown, options);

        Assert.Equal(2 * 80 * 1024, socket.ReceiveBufferBytes);
        Assert.Equal(2 * 40 * 1024, socket.SendBufferBytes);
    }
}
