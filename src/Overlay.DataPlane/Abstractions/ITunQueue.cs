using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Abstractions;

/// <summary>
/// One queue of a TUN device carrying bare IPv4 packets (no packet-info header).
/// Single reader: one thread calls <see cref="Read"/>. <see cref="Write"/> may be called from the
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
}
