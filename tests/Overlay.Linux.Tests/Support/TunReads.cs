using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;

namespace Overlay.Linux.Tests.Support;

/// <summary>Reads a TUN queue until a packet of interest shows up; other traffic (IPv6 router solicitations, MLD) is skipped.</summary>
internal static class TunReads
{
    /// <summary>
    /// The first packet matching <paramref name="wanted"/> with its offload metadata, or null after
    /// <paramref name="maxReads"/> reads or when Read returns false (shutdown by a watchdog).
    /// </summary>
    public static (byte[] Packet, OffloadInfo Offload)? Find(ITunQueue queue, PacketBatch batch, Func<byte[], bool> wanted, int maxReads = 100)
    {
        for (int reads = 0; reads < maxReads && queue.Read(batch); reads++)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                byte[] packet = batch.Packet(i).ToArray();
                if (wanted(packet))
                {
                    return (packet, batch.Offload(i));
                }
            }
        }
        return null;
    }

    /// <summary>Every packet matching <paramref name="wanted"/> until <paramref name="count"/> were found or the reads run out.</summary>
    public static List<(byte[] Packet, OffloadInfo Offload)> Collect(ITunQueue queue, PacketBatch batch, Func<byte[], bool> wanted, int count, int maxReads = 200)
    {
        var found = new List<(byte[] Packet, OffloadInfo Offload)>();
        for (int reads = 0; found.Count < count && reads < maxReads && queue.Read(batch); reads++)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                byte[] packet = batch.Packet(i).ToArray();
                if (wanted(packet))
                {
                    found.Add((packet, batch.Offload(i)));
                }
            }
        }
        return found;
    }

    /// <summary>A one-packet batch to write: the packet in slot 0 with <paramref name="offload"/> metadata.</summary>
    public static PacketBatch Single(byte[] packet, OffloadInfo offload, int slotSize)
    {
        var batch = new PacketBatch(1, slotSize);
        packet.CopyTo(batch.Slot(0));
        batch.Length(0) = packet.Length;
        batch.Offload(0) = offload;
        batch.Count = 1;
        return batch;
    }
}
