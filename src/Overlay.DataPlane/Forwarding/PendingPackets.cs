using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Forwarding;

/// <summary>Counts over the slots of a batch that are still to be sent or written (length non-zero).</summary>
internal static class PendingPackets
{
    /// <summary>How many of slots <c>0..Count-1</c> have a non-zero length, and their total bytes.</summary>
    public static int Count(PacketBatch batch, out long bytes)
    {
        ReadOnlySpan<int> lengths = batch.Lengths[..batch.Count];
        int packets = 0;
        bytes = 0;
        foreach (int length in lengths)
        {
            if (length > 0)
            {
                packets++;
                bytes += length;
            }
        }
        return packets;
    }

    /// <summary>Total bytes in slots <c>0..Count-1</c>.</summary>
    public static long TotalBytes(PacketBatch batch)
    {
        Count(batch, out long bytes);
        return bytes;
    }
}
