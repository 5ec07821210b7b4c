using System.Runtime.CompilerServices;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Tests.Layout;

/// <summary>Every native struct the project passes to the kernel has C's size, member offsets and member sizes.</summary>
public sealed class StructLayoutTests
{
    public static TheoryData<string, Type> Structs => new()
    {
        { "iovec", typeof(iovec) },
        { "msghdr", typeof(msghdr) },
        { "mmsghdr", typeof(mmsghdr) },
        { "sockaddr_in", typeof(sockaddr_in) },
        { "pollfd", typeof(pollfd) },
        { "ifreq", typeof(ifreq) },
        { "sockaddr_nl", typeof(sockaddr_nl) },
        { "nlmsghdr", typeof(nlmsghdr) },
        { "nlmsgerr", typeof(nlmsgerr) },
        { "ifinfomsg", typeof(ifinfomsg) },
        { "ifaddrmsg", typeof(ifaddrmsg) },
        { "rtmsg", typeof(rtmsg) },
        { "rtattr", typeof(rtattr) },
        { "rtnexthop", typeof(rtnexthop) },
        { "cmsghdr", typeof(cmsghdr) },
        { "virtio_net_hdr", typeof(virtio_net_hdr) },
    };

    [Theory]
    [MemberData(nameof(Structs))]
    public void Size_matches_c(string cName, Type managed)
    {
        long expected = NativeProbe.Get($"sizeof struct {cName}");
        Assert.Equal(expected, ManagedLayout.SizeOf(managed));
        Assert.Equal(expected, (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(managed).Invoke(null, null)!);
    }

    [Theory]
    [MemberData(nameof(Structs))]
    public void Every_member_sits_where_c_puts_it(string cName, Type managed)
    {
        string prefix = $"offsetof struct {cName}.";
        string[] members = NativeProbe.Values.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => k[prefix.Length..]).ToArray();
        Assert.NotEmpty(members);
        foreach (string member in members)
        {
            (int offset, int size) = ManagedLayout.Member(managed, member);
            Assert.True(NativeProbe.Get(prefix + member) == offset,
                $"{cName}.{member}: C offset {NativeProbe.Get(prefix + member)}, managed {offset}");
            long cSize = NativeProbe.Get($"fieldsize struct {cName}.{member}");
            Assert.True(cSize == size, $"{cName}.{member}: C size {cSize}, managed {size}");
        }
    }

    [Fact]
    public void The_msghdr_inside_an_mmsghdr_is_its_first_member()
    {
        // MessageVector casts an mmsghdr* to msghdr* to edit the header in place; this is what makes that legal.
        Assert.Equal(0, NativeProbe.Get("offsetof struct mmsghdr.msg_hdr"));
        Assert.Equal(0, ManagedLayout.Member(typeof(mmsghdr), "msg_hdr").Offset);
    }
}
