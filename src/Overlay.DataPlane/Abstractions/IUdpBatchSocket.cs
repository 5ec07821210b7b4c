using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Abstractions;

/// <summary>
/// A UDP socket that moves whole batches per syscall (recvmmsg/sendmmsg on Linux).
/// One thread receives and one thread sends; the two may run concurrently.
/// </summary>
public interface IUdpBatchSocket : IDisposable
{
    /// <summary>
    /// Blocks until at least one datagram is ready, then receives up to <c>batch.Capacity</c>.
    /// Sets <c>batch.Count</c>, each slot's length and its source endpoint. A datagram longer than a slot
    /// is reported with length 0 (dropped and counted as truncated). Returns false once shutting down.
    /// </summary>
    bool Receive(PacketBatch batch);

    /// <summary>
    /// Sends slots <c>0..batch.Count-1</c> whose length is non-zero, each to its endpoint.
    /// Returns how many datagrams the kernel accepted; failures are counted, never thrown.
    /// </summary>
    int Send(PacketBatch batch);
}
