using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Offload;

namespace Overlay.DataPlane.Tests.Fakes;

/// <summary>
/// A TUN queue in memory. The test plays the kernel: <see cref="Inject"/> queues packets for the forwarder to
/// <see cref="Read"/>, and what the forwarder <see cref="Write"/>s is kept for <see cref="TryTakeWritten"/>.
/// Both queues are bounded and preallocated; a write to a full queue is refused, like a kernel drop.
/// </summary>
internal sealed class InMemoryTun : ITunQueue, ITunWriter
{
    private readonly PacketQueue _toForwarder;
    private readonly PacketQueue _fromForwarder;

    // Where a gathered write's pieces are put together, allocated once.
    private readonly byte[] _gatherScratch = new byte[OffloadLimits.MaximumPacketLength];
    private Exception? _failNextRead;

    /// <param name="queueCapacity">Packets each direction holds.</param>
    /// <param name="slotSize">Largest packet either direction holds.</param>
    /// <param name="writeCapacity">Packets the forwarder may write before the test takes them, when it should differ
    /// from <paramref name="queueCapacity"/>.</param>
    public InMemoryTun(int queueCapacity = 1024, int slotSize = 2048, int? writeCapacity = null)
    {
        _toForwarder = new PacketQueue(queueCapacity, slotSize);
        _fromForwarder = new PacketQueue(writeCapacity ?? queueCapacity, slotSize);
    }

    /// <summary>How long <see cref="Read"/> waits for a packet before returning an empty batch.</summary>
    public TimeSpan ReadWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Packets written by the forwarder and not yet taken.</summary>
    public int WrittenCount => _fromForwarder.Count;

    public bool Inject(ReadOnlySpan<byte> packet) => _toForwarder.TryEnqueue(packet);

    public byte[]? TryTakeWritten() => _fromForwarder.TryDequeue(out _, out _);

    /// <summary>Forgets every written packet without copying it out (allocation-free).</summary>
    public void DiscardWritten() => _fromForwarder.Clear();

    /// <summary>Makes the next <see cref="Read"/> throw, as a broken device layer would.</summary>
    public void FailNextRead(Exception exception) => Volatile.Write(ref _failNextRead, exception);

    /// <summary>The fake is its own writer: only the gathered write uses scratch, and only the inbound thread gathers.</summary>
    public ITunWriter CreateWriter() => this;

    public bool Read(PacketBatch batch)
    {
        if (Interlocked.Exchange(ref _failNextRead, null) is { } failure)
        {
            throw failure;
        }
        return _toForwarder.DequeueInto(batch, ReadWait);
    }

    public int Write(PacketBatch batch)
    {
        int written = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch.Length(i) == 0)
            {
                continue;
            }
            bool taken = _fromForwarder.TryEnqueue(batch.Packet(i));
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
            bool taken = _fromForwarder.TryEnqueue(_gatherScratch.AsSpan(0, length));
            packets.Outcome(p) = taken ? SlotOutcome.Done : SlotOutcome.NoBuffers;
            if (taken)
            {
                written++;
            }
        }
        return written;
    }

    /// <summary>Shuts the queue down: <see cref="Read"/> returns false once the injected packets are drained.</summary>
    public void Dispose() => _toForwarder.Complete();
}
