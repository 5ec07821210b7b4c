using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Tests.Fakes;

/// <summary>One socket on an <see cref="InMemoryUdpFabric"/>, with a bounded, preallocated receive queue.</summary>
internal sealed class InMemoryUdpSocket : IUdpBatchSocket
{
    private readonly InMemoryUdpFabric _fabric;
    private readonly PacketQueue _inbox;
    // A sent packet may be in two pieces (a segment's headers in its slot, its payload in the superpacket): gathered here.
    private readonly byte[] _sendScratch = new byte[65535];

    internal InMemoryUdpSocket(InMemoryUdpFabric fabric, PeerEndpoint local, int queueCapacity, int slotSize)
    {
        _fabric = fabric;
        Local = local;
        _inbox = new PacketQueue(queueCapacity, slotSize);
    }

    public PeerEndpoint Local { get; }

    /// <summary>How long <see cref="Receive"/> waits for a datagram before returning an empty batch.</summary>
    public TimeSpan ReceiveWait { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Datagrams waiting to be received.</summary>
    public int Pending => _inbox.Count;

    /// <summary>Queues a datagram as if <paramref name="from"/> had sent it: for garbage no socket would produce.</summary>
    public bool Inject(ReadOnlySpan<byte> datagram, PeerEndpoint from) => _inbox.TryEnqueue(datagram, from);

    /// <summary>Takes the oldest queued datagram without going through a forwarder (allocates; for assertions).</summary>
    public byte[]? TryTake(out PeerEndpoint from) => _inbox.TryDequeue(out from, out _);

    internal bool Accept(ReadOnlySpan<byte> datagram, PeerEndpoint from) => _inbox.TryEnqueue(datagram, from);

    public bool Receive(PacketBatch batch) => _inbox.DequeueInto(batch, ReceiveWait);

    public int Send(PacketBatch batch)
    {
        int sent = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            if (batch.Length(i) == 0)
            {
                continue;
            }
            int length = batch.CopyPacket(i, _sendScratch);
            bool delivered = _fabric.Deliver(_sendScratch.AsSpan(0, length), Local, batch.Endpoint(i));
            batch.Outcome(i) = delivered ? SlotOutcome.Done : SlotOutcome.NoBuffers;
            if (delivered)
            {
                sent++;
            }
        }
        return sent;
    }

    public void Dispose()
    {
        _inbox.Complete();
        _fabric.Unbind(this);
    }
}
