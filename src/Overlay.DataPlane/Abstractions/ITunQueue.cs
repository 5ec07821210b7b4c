namespace Overlay.DataPlane.Abstractions;

/// <summary>
/// One queue of a TUN device carrying bare IPv4 packets (no packet-info header).
/// Single reader: one thread calls <see cref="Read"/>. Writing goes through writers, one per writing thread
/// (<see cref="CreateWriter"/>); each packet is written with its own syscall, which the kernel keeps whole.
/// </summary>
public interface ITunQueue : IDisposable
{
    /// <summary>
    /// Blocks until at least one packet is ready, then drains up to <c>batch.Capacity</c> packets without blocking.
    /// Sets <c>batch.Count</c> and each slot's length. Returns false once the queue is shutting down.
    /// </summary>
    bool Read(Buffers.PacketBatch batch);

    /// <summary>
    /// A writer for the calling thread (or the thread it is handed to before its first write), with scratch of its
    /// own. Lives as long as the queue.
    /// </summary>
    ITunWriter CreateWriter();
}
