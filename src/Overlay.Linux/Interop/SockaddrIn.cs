using System.Buffers.Binary;
using Tmds.Linux;

namespace Overlay.Linux.Interop;

/// <summary>Converts between Tmds.LibC's <c>sockaddr_in</c> (network byte order) and host-order address and port.</summary>
internal static unsafe class SockaddrIn
{
    public static sockaddr_in Create(uint address, ushort port)
    {
        sockaddr_in value = default;
        value.sin_family = LibC.AF_INET;
        value.sin_port = ToNetworkOrder(port);
        BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(value.sin_addr.s_addr, 4), address);
        return value;
    }

    public static void Set(sockaddr_in* target, uint address, ushort port)
    {
        target->sin_family = LibC.AF_INET;
        target->sin_port = ToNetworkOrder(port);
        BinaryPrimitives.WriteUInt32BigEndian(new Span<byte>(target->sin_addr.s_addr, 4), address);
    }

    public static uint Address(sockaddr_in* source) => BinaryPrimitives.ReadUInt32BigEndian(new ReadOnlySpan<byte>(source->sin_addr.s_addr, 4));

    public static ushort Port(sockaddr_in* source) => ToNetworkOrder(source->sin_port);

    /// <summary>Swaps on little-endian hosts; the same swap converts in both directions.</summary>
    private static ushort ToNetworkOrder(ushort value) => BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(value) : value;
}
