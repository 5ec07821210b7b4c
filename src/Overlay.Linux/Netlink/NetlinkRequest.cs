using System.Runtime.InteropServices;
using System.Text;
using Overlay.DataPlane.Routing;
using Overlay.Linux.Interop;

namespace Overlay.Linux.Netlink;

/// <summary>
/// Builds one rtnetlink request: the nlmsghdr, a fixed family header (ifinfomsg, ifaddrmsg, rtmsg) and rtattr
/// attributes, each padded to 4 bytes as NLMSG_ALIGN/RTA_ALIGN require. Setup path only: it allocates freely.
/// </summary>
internal sealed class NetlinkRequest
{
    private static readonly int s_headerSize = Marshal.SizeOf<nlmsghdr>();
    private static readonly int s_attributeHeaderSize = Marshal.SizeOf<rtattr>();

    private byte[] _buffer = new byte[256];
    private int _length;

    public NetlinkRequest(ushort type, ushort flags)
    {
        Type = type;
        Flags = (ushort)(flags | Libc.NLM_F_REQUEST);
        _length = s_headerSize;
    }

    public ushort Type { get; }

    public ushort Flags { get; }

    public bool IsDump => (Flags & Libc.NLM_F_DUMP) == Libc.NLM_F_DUMP;

    public static int Align(int length) => (length + 3) & ~3;

    public void AddHeader<T>(T header)
        where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        Span<byte> target = Reserve(Align(size));
        MemoryMarshal.Write(target, in header);
    }

    public void AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        int length = s_attributeHeaderSize + value.Length;
        Span<byte> target = Reserve(Align(length));
        var header = new rtattr { rta_len = checked((ushort)length), rta_type = type };
        MemoryMarshal.Write(target, in header);
        value.CopyTo(target[s_attributeHeaderSize..]);
    }

    /// <summary>A u32 attribute; netlink integers are in host byte order.</summary>
    public void AddUInt32(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[sizeof(uint)];
        MemoryMarshal.Write(bytes, in value);
        AddAttribute(type, bytes);
    }

    /// <summary>An IPv4 address attribute; addresses travel in network byte order.</summary>
    public void AddIpv4(ushort type, uint address)
    {
        Span<byte> bytes = stackalloc byte[4];
        Ipv4.Write(bytes, address);
        AddAttribute(type, bytes);
    }

    /// <summary>A NUL-terminated string attribute (interface names).</summary>
    public void AddString(ushort type, string value)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(value + "\0");
        AddAttribute(type, bytes);
    }

    /// <summary>Writes the final nlmsghdr and returns the bytes to send.</summary>
    public ReadOnlySpan<byte> Finish(uint sequence)
    {
        var header = new nlmsghdr
        {
            nlmsg_len = (uint)_length,
            nlmsg_type = Type,
            nlmsg_flags = Flags,
            nlmsg_seq = sequence,
            nlmsg_pid = 0,
        };
        MemoryMarshal.Write(_buffer.AsSpan(), in header);
        return _buffer.AsSpan(0, _length);
    }

    private Span<byte> Reserve(int bytes)
    {
        if (_length + bytes > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        }
        Span<byte> span = _buffer.AsSpan(_length, bytes);
        span.Clear();
        _length += bytes;
        return span;
    }
}
