namespace Overlay.Linux.Netlink;

/// <summary>One reply message from the kernel: its type, flags and the payload after the nlmsghdr.</summary>
internal sealed record NetlinkMessage(ushort Type, ushort Flags, byte[] Payload);
