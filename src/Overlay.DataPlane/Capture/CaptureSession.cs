using System.Buffers;

namespace Overlay.DataPlane.Capture;

/// <summary>
/// One running capture, from <see cref="CaptureTap.TryStartSession"/> until <see cref="Dispose"/>. Turns what the
/// forwarding threads put in the ring into a pcap byte stream.
/// </summary>
/// <remarks>Single consumer: one thread at a time calls <see cref="WriteFileHeader"/> and <see cref="DrainTo"/>.</remarks>
public sealed class CaptureSession : IDisposable
{
    private readonly CaptureTap _tap;
    private readonly CaptureRing _ring;
    private readonly long _skippedAtStart;
    private bool _disposed;

    internal CaptureSession(CaptureTap tap, CaptureRing ring, long skippedAtStart)
    {
        _tap = tap;
        _ring = ring;
        _skippedAtStart = skippedAtStart;
    }

    public int SnapLength => _ring.SnapLength;

    /// <summary>Packets written out by <see cref="DrainTo"/> so far.</summary>
    public long Captured { get; private set; }

    /// <summary>Packets the forwarding threads skipped during this session because the ring was full.</summary>
    public long Skipped => _tap.Skipped - _skippedAtStart;

    /// <summary>
    /// Writes the pcap global header: Linux cooked capture (so each packet says which way it went), with this
    /// session's snap length plus the cooked header.
    /// </summary>
    public void WriteFileHeader(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Pcap.WriteGlobalHeader(output.GetSpan(Pcap.GlobalHeaderLength), SnapLength + Pcap.CookedHeaderLength, Pcap.LinkTypeLinuxCooked);
        output.Advance(Pcap.GlobalHeaderLength);
    }

    /// <summary>
    /// Moves up to <paramref name="maxPackets"/> captured packets from the ring to <paramref name="output"/> as pcap
    /// records, oldest first, and returns how many. Returns 0 when the ring is empty; never waits.
    /// </summary>
    public int DrainTo(IBufferWriter<byte> output, int maxPackets)
    {
        ArgumentNullException.ThrowIfNull(output);
        ObjectDisposedException.ThrowIf(_disposed, this);
        int written = 0;
        while (written < maxPackets && _ring.TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes))
        {
            const int Headers = Pcap.RecordHeaderLength + Pcap.CookedHeaderLength;
            Span<byte> destination = output.GetSpan(Headers + bytes.Length);
            Pcap.WriteRecordHeader(
                destination, record.UtcTicks, Pcap.CookedHeaderLength + bytes.Length, Pcap.CookedHeaderLength + record.OriginalLength);
            Pcap.WriteCookedHeader(destination[Pcap.RecordHeaderLength..], record.Direction);
            bytes.CopyTo(destination[Headers..]);
            output.Advance(Headers + bytes.Length);
            _ring.Release();
            written++;
        }
        Captured += written;
        return written;
    }

    /// <summary>Stops capturing; forwarding threads go back to one volatile read per batch.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _tap.EndSession();
    }
}
