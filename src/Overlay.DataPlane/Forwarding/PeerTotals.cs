namespace Overlay.DataPlane.Forwarding;

/// <summary>One peer's running totals, shared by every forwarding thread; each adds its tally once per batch.</summary>
internal sealed class PeerTotals
{
    private long _sentPackets;
    private long _sentBytes;
    private long _receivedPackets;
    private long _receivedBytes;

    public void Add(in PeerCount count)
    {
        if (count.SentPackets != 0)
        {
            Interlocked.Add(ref _sentPackets, count.SentPackets);
            Interlocked.Add(ref _sentBytes, count.SentBytes);
        }
        if (count.ReceivedPackets != 0)
        {
            Interlocked.Add(ref _receivedPackets, count.ReceivedPackets);
            Interlocked.Add(ref _receivedBytes, count.ReceivedBytes);
        }
    }

    public PeerTraffic Read(uint address) => new(
        address,
        Interlocked.Read(ref _sentPackets),
        Interlocked.Read(ref _sentBytes),
        Interlocked.Read(ref _receivedPackets),
        Interlocked.Read(ref _receivedBytes));
}
