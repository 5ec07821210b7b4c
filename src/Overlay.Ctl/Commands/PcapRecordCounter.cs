using System.Buffers.Binary;

namespace Overlay.Ctl.Commands;

/// <summary>
/// Counts pcap records in a byte stream fed in arbitrary pieces: skips the 24-byte global header, then reads each
/// record's captured length from its 16-byte header. Assumes the little-endian files overlayd writes.
/// </summary>
internal sealed class PcapRecordCounter
{
    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;

    private readonly byte[] _header = new byte[RecordHeaderLength];
    private long _skip = GlobalHeaderLength;
    private int _headerFilled;

    public long Records { get; private set; }

    public void Observe(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_skip > 0)
            {
                int skipped = (int)Math.Min(_skip, bytes.Length);
                _skip -= skipped;
                bytes = bytes[skipped..];
                continue;
            }
            int take = Math.Min(RecordHeaderLength - _headerFilled, bytes.Length);
            bytes[..take].CopyTo(_header.AsSpan(_headerFilled));
            _headerFilled += take;
            bytes = bytes[take..];
            if (_headerFilled == RecordHeaderLength)
            {
                _skip = BinaryPrimitives.ReadUInt32LittleEndian(_header.AsSpan(8));
                _headerFilled = 0;
                Records++;
            }
        }
    }
}
