using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;

namespace Overlay.DataPlane.Tests.Offload;

/// <summary>Moves packets between byte arrays and batches, and runs the segmenter on them, for assertions.</summary>
internal static class Batches
{
    public const int Mtu = 1472;

    public static PacketBatch Of(int slotSize, params byte[][] packets) => Of(slotSize, packets.Length, packets);

    public static PacketBatch Of(int slotSize, int capacity, params byte[][] packets)
    {
        var batch = new PacketBatch(Math.Max(1, capacity), slotSize);
        foreach (byte[] packet in packets)
        {
            Append(batch, packet, OffloadInfo.None);
        }
        return batch;
    }

    public static void Append(PacketBatch batch, byte[] packet, OffloadInfo offload)
    {
        int slot = batch.Count++;
        packet.CopyTo(batch.Slot(slot));
        batch.Length(slot) = packet.Length;
        batch.Offload(slot) = offload;
    }

    public static List<byte[]> Packets(PacketBatch batch)
    {
        var packets = new List<byte[]>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            packets.Add(Whole(batch, i));
        }
        return packets;
    }

    /// <summary>Slot <paramref name="index"/>'s whole packet, its tail gathered after its slot part.</summary>
    public static byte[] Whole(PacketBatch batch, int index)
    {
        byte[] packet = new byte[batch.Length(index)];
        Assert.Equal(packet.Length, batch.CopyPacket(index, packet));
        return packet;
    }

    /// <summary>Runs one superpacket through the segmenter into a fresh batch of MTU-sized slots.</summary>
    public static List<byte[]> Segment(byte[] superpacket, OffloadInfo offload, ForwardingTally? tally = null, int mtu = Mtu, int capacity = 128)
    {
        var input = new PacketBatch(1, OffloadLimits.MaximumPacketLength);
        Append(input, superpacket, offload);
        var output = new PacketBatch(capacity, mtu);
        SegmentationProgress progress = SuperpacketSegmenter.Segment(input, 0, output, tally ?? new ForwardingTally());
        Assert.Equal(1, progress.Consumed);
        Assert.Equal(output.Count, progress.Appended);
        for (int i = 0; i < output.Count; i++)
        {
            Assert.Equal(OffloadInfo.None, output.Offload(i));
        }
        return Packets(output);
    }
}
