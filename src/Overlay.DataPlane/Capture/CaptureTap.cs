using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Capture;

/// <summary>
/// The one place forwarding threads hand packets to a live capture. Off by default: <see cref="Offer"/> then costs
/// one volatile read per batch. While a <see cref="CaptureSession"/> is open, it copies each non-empty packet (cut to
/// the snap length) into a bounded <see cref="CaptureRing"/>; when the ring is full the packet is skipped and
/// counted, so a slow reader never slows forwarding.
/// </summary>
/// <remarks>
/// Thread-safe: any number of forwarding threads may call <see cref="Offer"/> concurrently, allocation-free. One
/// session at a time; its consumer is the admin connection that opened it. The ring is allocated by the first
/// session and reused, so a daemon that never captures never pays for it.
/// </remarks>
public sealed class CaptureTap
{
    public const int DefaultCapacity = 2048;

    public const int DefaultSnapLength = 256;

    private readonly TimeProvider _time;
    private readonly int _capacity;
    private readonly int _snapLength;
    private CaptureRing? _ring;
    private bool _enabled;
    private int _sessionOpen;
    private long _skipped;

    /// <param name="capacity">Packets buffered between forwarding threads and the capture reader.</param>
    /// <param name="snapLength">Most bytes kept of each packet (an IPv4 header plus a transport header needs ~60).</param>
    /// <param name="time">Source of packet timestamps; read once per batch.</param>
    public CaptureTap(int capacity = DefaultCapacity, int snapLength = DefaultSnapLength, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 20);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, 65535);
        _capacity = capacity;
        _snapLength = snapLength;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>True while a session is open and packets are being copied.</summary>
    public bool IsEnabled => Volatile.Read(ref _enabled);

    public int SnapLength => _snapLength;

    /// <summary>Packets skipped because the ring was full, over the tap's lifetime.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>
    /// Offers every non-empty packet of <paramref name="batch"/> (slots <c>0..Count-1</c> whose length is not 0).
    /// Call once per batch from a forwarding thread; returns at once when no capture is running.
    /// </summary>
    public void Offer(PacketBatch batch, CaptureDirection direction)
    {
        if (!Volatile.Read(ref _enabled))
        {
            return;
        }
        OfferEnabled(batch, direction);
    }

    /// <summary>Offers one packet, for paths that do not hold a <see cref="PacketBatch"/> (ICMP replies, say).</summary>
    public void Offer(ReadOnlySpan<byte> packet, CaptureDirection direction)
    {
        if (!Volatile.Read(ref _enabled) || packet.IsEmpty)
        {
            return;
        }
        CaptureRing? ring = Volatile.Read(ref _ring);
        if (ring is not null && !ring.TryWrite(packet, _time.GetUtcNow().UtcTicks, direction))
        {
            Interlocked.Increment(ref _skipped);
        }
    }

    /// <summary>
    /// Opens the capture session, or returns false when one is already open. Packets left in the ring by an earlier
    /// session are discarded first. The caller drains the session from one thread and disposes it to stop capturing.
    /// </summary>
    public bool TryStartSession(out CaptureSession? session)
    {
        if (Interlocked.CompareExchange(ref _sessionOpen, 1, 0) != 0)
        {
            session = null;
            return false;
        }
        CaptureRing ring = Volatile.Read(ref _ring) ?? new CaptureRing(_capacity, _snapLength);
        Volatile.Write(ref _ring, ring);
        ring.Discard();
        session = new CaptureSession(this, ring, Skipped);
        Volatile.Write(ref _enabled, true);
        return true;
    }

    internal void EndSession()
    {
        Volatile.Write(ref _enabled, false);
        Volatile.Write(ref _sessionOpen, 0);
    }

    private void OfferEnabled(PacketBatch batch, CaptureDirection direction)
    {
        CaptureRing? ring = Volatile.Read(ref _ring);
        if (ring is null)
        {
            return;
        }
        long utcTicks = _time.GetUtcNow().UtcTicks;
        int count = batch.Count;
        ReadOnlySpan<int> lengths = batch.Lengths;
        byte[] slab = batch.Slab;
        int slotSize = batch.SlotSize;
        int skipped = 0;
        for (int i = 0; i < count; i++)
        {
            if (lengths[i] <= 0)
            {
                continue;
            }
            int head = Math.Clamp(batch.HeadLength(i), 0, slotSize);
            if (!ring.TryWrite(slab.AsSpan(i * slotSize, head), batch.TailBytes(i), utcTicks, direction))
            {
                skipped++;
            }
        }
        if (skipped > 0)
        {
            Interlocked.Add(ref _skipped, skipped);
        }
    }
}
