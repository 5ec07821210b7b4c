using System.Runtime.InteropServices;
using Overlay.Linux.Interop;

namespace Overlay.Linux.Netlink;

/// <summary>Walks a run of rtattr/nlattr TLVs; stops quietly at the first malformed one.</summary>
internal ref struct AttributeReader
{
    // NLA_F_NESTED and NLA_F_NET_BYTEORDER ride in the top bits of the type.
    private const ushort TypeMask = 0x3FFF;

    private ReadOnlySpan<byte> _remaining;

    public AttributeReader(ReadOnlySpan<byte> attributes) => _remaining = attributes;

    public bool TryRead(out ushort type, out ReadOnlySpan<byte> value)
    {
        type = 0;
        value = default;
        int headerSize = Marshal.SizeOf<rtattr>();
        if (_remaining.Length < headerSize)
        {
            return false;
        }
        rtattr header = MemoryMarshal.Read<rtattr>(_remaining);
        if (header.rta_len < headerSize || header.rta_len > _remaining.Length)
        {
            return false;
        }
        type = (ushort)(header.rta_type & TypeMask);
        value = _remaining[headerSize..header.rta_len];
        int advance = NetlinkRequest.Align(header.rta_len);
        _remaining = advance >= _remaining.Length ? default : _remaining[advance..];
        return true;
    }

    /// <summary>A u32 attribute value (host byte order), or null when it is too short.</summary>
    public static uint? ReadUInt32(ReadOnlySpan<byte> value) => value.Length >= 4 ? MemoryMarshal.Read<uint>(value) : null;

    /// <summary>A NUL-terminated ASCII string attribute value.</summary>
    public static string ReadString(ReadOnlySpan<byte> value)
    {
        int end = value.IndexOf((byte)0);
        return System.Text.Encoding.ASCII.GetString(end < 0 ? value : value[..end]);
    }
}
