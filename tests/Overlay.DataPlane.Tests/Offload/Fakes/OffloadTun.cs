using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;
using Overlay.DataPlane.Tests.Fakes;

namespace Overlay.DataPlane.Tests.Offload.Fakes;

/// <summary>
/// A TUN queue opened with IFF_VNET_HDR, in memory: every packet travels with its <see cref="OffloadInfo"/>, as the
/// virtio header carries it. The test plays the kernel: <see cref="Inject"/> queues superpackets for the forwarder to
/// <see cref="Read"/>, and what the forwarder <see cref="Write"/>s is kept, metadata included, for
/// <see cref="TryTakeWritten"/>. Both queues are bounded and preallocated; a write to a full queue is refused.
/// </summary>
internal sealed class OffloadTun : ITunQueue, ITunWriter
{
    private readonly PacketQueue _toForwarder;
    private readonly PacketQueue _fromForwarder;

    // Where a gathered write's pieces are put together, allocated once.
    private readonly byte[] _gatherScratch = new byte[OffloadLimits.MaximumPacketLength];

    public OffloadTun(int readCapacity = 16, int writeCapacity = 64, int slotSize = OffloadLimits.MaximumPacketLength)
    {
        _toForwarder = new PacketQueue(readCapacity, slotSize);
        _fromForwarder = new PacketQueue(writeCapacity, slotSize);
    }

    /// <summary>How long <see cref="Read"/> waits for a packet before returning an empty batch.</summary>
    public TimeSpan ReadWait { get; init; } = TimeSpan.FromMilliseconds(200);

    public int WrittenCount => _fromForwarder.Count;

    public bool Inject(ReadOnlySpan<byte> packet, OffloadInfo offload = default) => _toForwarder.TryEnqueue(packet, offload: offload);

    public byte[]? TryTakeWritten(out OffloadInfo offload) => _fromForwarder.TryDequeue(out _, out offload);

    /// <summary>Forgets every written packet without copying it out (allocation-free).</summary>
    public void DiscardWritten() => _fromForwarder.Clear();

    /// <summary>The fake is its own writer: only the gathered write uses scratch, and only the inbound thread gathers.</summary>
    public ITunWriter CreateWriter() => this;

    public bool Read(PacketBatch batch) => _toForwarder.DequeueInto(batch, ReadWait);

    public int Write(PacketBatch batch)
    {
        int written = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch.Length(i) == 0)
            {
                continue;
            }
            bool taken = _fromForwarder.TryEnqueue(batch.Packet(i), offload: batch.Offload(i));
            batch.Outcome(i) = taken ? SlotOutcome.Done : SlotOutcome.NoBuffers;
            if (taken)
            {
                written++;
            }
        }
        return written;
    }

    /// <summary>Keeps each gathered packet whole, as the kernel takes one writev.</summary>
    public int Write(PacketBatch source, GatheredPackets packets)
    {
        int written = 0;
        for (int p = 0; p < packets.Count; p++)
        {
            int length = packets.CopyTo(source, p, _gatherScratch);
            bool taken = _fromForwarder.TryEnqueue(_gatherScratch.AsSpan(0, length), offload: packets.Offload(p));
            packets.Outcome(p) = taken ? SlotOutcome.Done : SlotOutcome.NoBuffers;
            if (taken)
            {
                written++;
            }
        }
        return written;
    }

    public void Dispose() => _toForwarder.Complete();
}
