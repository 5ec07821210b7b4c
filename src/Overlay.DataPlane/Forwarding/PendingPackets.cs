using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Forwarding;

/// <summary>Counts over the slots of a batch that are still to be sent or written (length non-zero).</summary>
internal static class PendingPackets
{
    /// <summary>How many of slots <c>0..Count-1</c> have a non-zero length, and their total bytes.</summary>
    public static int Count(PacketBatch batch, out long bytes)
    {
        ReadOnlySpan<int> lengths = batch.Lengths[..Math.Clamp(batch.Count, 0, batch.Capacity)];
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

    /// <summary>
    /// Bytes in the first <paramref name="packets"/> non-empty slots. Batch I/O reports only how many packets went
    /// through; like sendmmsg, it is taken to have stopped at the first failure.
    /// </summary>
    public static long BytesOfFirst(PacketBatch batch, int packets)
    {
        ReadOnlySpan<int> lengths = batch.Lengths[..Math.Clamp(batch.Count, 0, batch.Capacity)];
        long bytes = 0;
        for (int i = 0; i < lengths.Length && packets > 0; i++)
        {
            if (lengths[i] > 0)
            {
                bytes += lengths[i];
                packets--;
            }
        }
        return bytes;
    }

    /// <summary>Total bytes in slots <c>0..Count-1</c>.</summary>
    public static long TotalBytes(PacketBatch batch)
    {
        Count(batch, out long bytes);
        return bytes;
    }
}
