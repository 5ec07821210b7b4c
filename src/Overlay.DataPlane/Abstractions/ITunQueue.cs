using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Abstractions;

/// <summary>
/// One queue of a TUN device carrying bare IPv4 packets (no packet-info header).
/// Single reader: one thread calls <see cref="Read"/>. Either <c>Write</c> may be called from the
/// reader thread and one other thread; each packet is written with its own syscall, which the kernel keeps whole.
/// </summary>
public interface ITunQueue : IDisposable
{
    /// <summary>
    /// Blocks until at least one packet is ready, then drains up to <c>batch.Capacity</c> packets without blocking.
    /// Sets <c>batch.Count</c> and each slot's length. Returns false once the queue is shutting down.
    /// </summary>
    bool Read(PacketBatch batch);

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
