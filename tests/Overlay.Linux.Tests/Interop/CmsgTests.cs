using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Interop;

/// <summary>Walking a control buffer the way CMSG_FIRSTHDR/CMSG_NXTHDR do, over hand-built buffers.</summary>
public sealed unsafe class CmsgTests
{
    [Fact]
    public void Walks_every_message_in_order_and_stops_at_the_end()
    {
        // A u16 UDP_SEGMENT message (18 bytes, padded to 24) followed by an int UDP_GRO message (20 bytes).
        int length = Cmsg.Space(sizeof(ushort)) + Cmsg.Space(sizeof(int));
        byte* buffer = stackalloc byte[length];
        new Span<byte>(buffer, length).Clear();
        var first = (cmsghdr*)buffer;
        first->cmsg_len = (uint)Cmsg.Len(sizeof(ushort));
        first->cmsg_level = Libc.SOL_UDP;
        first->cmsg_type = Libc.UDP_SEGMENT;
        *(ushort*)Cmsg.Data(first) = 1472;
        var second = (cmsghdr*)(buffer + Cmsg.Space(sizeof(ushort)));
        second->cmsg_len = (uint)Cmsg.Len(sizeof(int));
        second->cmsg_level = Libc.SOL_UDP;
        second->cmsg_type = Libc.UDP_GRO;
        *(int*)Cmsg.Data(second) = 1200;

        cmsghdr* a = Cmsg.First(buffer, (ulong)length);
        cmsghdr* b = Cmsg.Next(buffer, (ulong)length, a);
        cmsghdr* c = Cmsg.Next(buffer, (ulong)length, b);

        Assert.True(a == first);
        Assert.True(b == second);
        Assert.True(c == null);
        Assert.Equal(1472, *(ushort*)Cmsg.Data(a));
        Assert.Equal(sizeof(ushort), Cmsg.DataLength(a));
        Assert.Equal(1200, *(int*)Cmsg.Data(b));
        Assert.Equal(sizeof(int), Cmsg.DataLength(b));
    }

    [Fact]
    public void A_buffer_too_short_for_a_header_has_no_first_message()
    {
        byte* buffer = stackalloc byte[32];

        Assert.True(Cmsg.First(buffer, (ulong)(sizeof(cmsghdr) - 1)) == null);
        Assert.True(Cmsg.First(null, 32) == null);
    }

    [Fact]
    public void A_malformed_length_ends_the_walk_instead_of_running_past_the_buffer()
    {
        const int Length = 64;
        byte* buffer = stackalloc byte[Length];
        new Span<byte>(buffer, Length).Clear();
        var header = (cmsghdr*)buffer;

        header->cmsg_len = 4; // shorter than the header itself
        Assert.True(Cmsg.Next(buffer, Length, header) == null);
        Assert.Equal(0, Cmsg.DataLength(header));

        header->cmsg_len = Length + 8; // longer than the buffer
        Assert.True(Cmsg.Next(buffer, Length, header) == null);

        // A next header whose own length would run past the end is not returned either.
        header->cmsg_len = (uint)Cmsg.Len(sizeof(int));
        var next = (cmsghdr*)(buffer + Cmsg.Space(sizeof(int)));
        next->cmsg_len = Length;
        Assert.True(Cmsg.Next(buffer, Length, header) == null);
    }
}
