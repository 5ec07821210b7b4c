using Tmds.Linux;

namespace Overlay.Linux.Interop;

/// <summary>
/// glibc's CMSG_* macros. Tmds.LibC 0.5.0 has them too, but its CMSG_LEN pads the length to the next 8 bytes (24
/// for a u16 instead of 18), and the kernel requires UDP_SEGMENT's <c>cmsg_len</c> to equal CMSG_LEN(2) exactly.
/// The tests compare these with the C macros.
/// </summary>
internal static unsafe class Cmsg
{
    /// <summary>CMSG_ALIGN: control messages are aligned to <c>sizeof(size_t)</c>.</summary>
    public static int Align(int length) => (length + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);

    /// <summary>CMSG_LEN: the value of <c>cmsg_len</c> for <paramref name="dataLength"/> bytes of data.</summary>
    public static int Len(int dataLength) => Align(sizeof(cmsghdr)) + dataLength;

    /// <summary>CMSG_SPACE: the room one control message with <paramref name="dataLength"/> bytes of data takes.</summary>
    public static int Space(int dataLength) => Align(sizeof(cmsghdr)) + Align(dataLength);

    /// <summary>CMSG_DATA.</summary>
    public static byte* Data(cmsghdr* header) => (byte*)header + Align(sizeof(cmsghdr));

    /// <summary>The bytes of data a received header carries (<c>cmsg_len - CMSG_LEN(0)</c>), 0 when malformed.</summary>
    public static int DataLength(cmsghdr* header)
    {
        ulong length = header->cmsg_len;
        ulong empty = (ulong)Len(0);
        return length > empty && length - empty <= int.MaxValue ? (int)(length - empty) : 0;
    }

    /// <summary>CMSG_FIRSTHDR over a control buffer of <paramref name="length"/> bytes; null when it holds none.</summary>
    public static cmsghdr* First(byte* control, ulong length) =>
        control != null && length >= (ulong)sizeof(cmsghdr) ? (cmsghdr*)control : null;

    /// <summary>CMSG_NXTHDR: the header after <paramref name="current"/>, or null at the end of the buffer.</summary>
    public static cmsghdr* Next(byte* control, ulong length, cmsghdr* current)
    {
        ulong currentLength = current->cmsg_len;
        ulong offset = (ulong)((byte*)current - control);
        if (currentLength < (ulong)sizeof(cmsghdr) || currentLength > length - offset)
        {
            return null;
        }
        offset += AlignLong(currentLength);
        if (offset + (ulong)sizeof(cmsghdr) > length)
        {
            return null;
        }
        var next = (cmsghdr*)(control + offset);
        return AlignLong(next->cmsg_len) <= length - offset ? next : null;
    }

    private static ulong AlignLong(ulong length) => (length + (ulong)sizeof(nuint) - 1) & ~((ulong)sizeof(nuint) - 1);
}
