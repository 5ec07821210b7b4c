using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>
/// The native arrays one direction of a UDP socket hands to sendmmsg/recvmmsg: <c>Capacity</c> mmsghdr entries,
/// each permanently wired to its own iovec and sockaddr_in. Allocated once in native memory, so building a batch is
/// a few stores per packet and never allocates or pins. Not thread-safe: one direction, one thread.
/// </summary>
internal sealed unsafe class MessageVector : IDisposable
{
    private byte* _block;

    public MessageVector(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        nuint messagesBytes = (nuint)(capacity * sizeof(mmsghdr));
        nuint vectorsBytes = (nuint)(capacity * sizeof(iovec));
        nuint namesBytes = (nuint)(capacity * sizeof(sockaddr_in));
        _block = (byte*)NativeMemory.AllocZeroed(messagesBytes + vectorsBytes + namesBytes);
        Messages = (mmsghdr*)_block;
        Vectors = (iovec*)(_block + messagesBytes);
        Names = (sockaddr_in*)(_block + messagesBytes + vectorsBytes);
        for (int i = 0; i < capacity; i++)
        {
            msghdr* header = Header(i);
            header->msg_name = &Names[i];
            header->msg_namelen = (uint)sizeof(sockaddr_in);
            header->msg_iov = &Vectors[i];
            header->msg_iovlen = 1;
        }
    }

    public int Capacity { get; }

    public mmsghdr* Messages { get; private set; }

    public iovec* Vectors { get; private set; }

    public sockaddr_in* Names { get; private set; }

    /// <summary>
    /// The msghdr inside entry <paramref name="index"/>. Tmds.LibC exposes <c>msg_hdr</c> as a by-value property;
    /// it is the first member of <c>struct mmsghdr</c> (offset 0, checked against C by the layout test), so the
    /// entry's address is the header's address.
    /// </summary>
    public msghdr* Header(int index) => (msghdr*)&Messages[index];

    public void Dispose()
    {
        if (_block != null)
        {
            NativeMemory.Free(_block);
            _block = null;
            Messages = null;
            Vectors = null;
            Names = null;
        }
    }
}
