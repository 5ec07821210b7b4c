using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Abstractions;

/// <summary>
/// Writes packets into one TUN queue for one thread. Every thread that writes a queue takes its own writer from
/// <see cref="ITunQueue.CreateWriter"/>: a writer builds each packet's metadata in scratch of its own, so two threads
/// can never interleave one write's header with another's payload. An implementation may refuse a second thread.
/// </summary>
public interface ITunWriter
{
    /// <summary>
    /// Writes slots <c>0..batch.Count-1</c> whose length is non-zero. Returns how many were written;
    /// packets the kernel refused are counted by the implementation, never thrown.
    /// </summary>
    int Write(PacketBatch batch);

    /// <summary>
    /// Writes packets <c>0..packets.Count-1</c>, each gathered from the slots of <paramref name="source"/> it names
    /// into one write, with its <see cref="GatheredPackets.Offload"/> metadata. Returns how many were written, as
    /// <see cref="Write(PacketBatch)"/> does.
    /// </summary>
    int Write(PacketBatch source, GatheredPackets packets);
}
