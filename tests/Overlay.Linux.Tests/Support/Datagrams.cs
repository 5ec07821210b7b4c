using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Udp;

namespace Overlay.Linux.Tests.Support;

/// <summary>Builds send batches of numbered payloads and collects what a socket receives.</summary>
internal static class Datagrams
{
    /// <summary>Slot i holds <c>Payloads.Create(sizes[i], i)</c> addressed to <paramref name="destination"/>(i); size 0 leaves it empty.</summary>
    public static PacketBatch BatchOf(int slotSize, IReadOnlyList<int> sizes, Func<int, PeerEndpoint> destination)
    {
        var batch = new PacketBatch(sizes.Count, slotSize);
        for (int i = 0; i < sizes.Count; i++)
        {
            Payloads.Fill(batch.Slot(i)[..sizes[i]], i);
            batch.Length(i) = sizes[i];
            batch.Endpoint(i) = destination(i);
        }
        batch.Count = sizes.Count;
        return batch;
    }

    public static PacketBatch BatchOf(int slotSize, IReadOnlyList<int> sizes, PeerEndpoint destination) =>
        BatchOf(slotSize, sizes, _ => destination);

    /// <summary>
    /// Receives until <paramref name="expected"/> datagrams arrived or Receive returned false (shutdown by a
    /// watchdog), counting the calls it took.
    /// </summary>
    public static List<(byte[] Bytes, PeerEndpoint Source)> ReceiveAll(UdpBatchSocket socket, PacketBatch into, int expected, out int calls)
    {
        var received = new List<(byte[] Bytes, PeerEndpoint Source)>();
        calls = 0;
        while (received.Count < expected && socket.Receive(into))
        {
            calls++;
            Assert.InRange(into.Count, 1, into.Capacity);
            for (int i = 0; i < into.Count; i++)
            {
                received.Add((into.Packet(i).ToArray(), into.Endpoint(i)));
            }
        }
        return received;
    }

    public static List<(byte[] Bytes, PeerEndpoint Source)> ReceiveAll(UdpBatchSocket socket, PacketBatch into, int expected) =>
        ReceiveAll(socket, into, expected, out _);

    /// <summary>Asserts the received datagrams are exactly the non-empty slots <paramref name="slots"/> of the sent batch, in order.</summary>
    public static void AssertArrivedInOrder(IReadOnlyList<int> sizes, IEnumerable<int> slots, List<(byte[] Bytes, PeerEndpoint Source)> received, PeerEndpoint source)
    {
        int[] expected = slots.Where(i => sizes[i] > 0).ToArray();
        Assert.Equal(expected.Length, received.Count);
        for (int n = 0; n < expected.Length; n++)
        {
            int slot = expected[n];
            Assert.True(Payloads.Create(sizes[slot], slot).AsSpan().SequenceEqual(received[n].Bytes),
                $"datagram {n} (slot {slot}, {sizes[slot]} bytes) arrived as {received[n].Bytes.Length} different bytes");
            Assert.Equal(source, received[n].Source);
        }
    }
}
