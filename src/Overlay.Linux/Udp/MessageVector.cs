using System.Runtime.InteropServices;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>
/// The native arrays one direction of a UDP socket hands to sendmmsg/recvmmsg: <c>Capacity</c> mmsghdr entries,
/// each wired to its own sockaddr_in and, when asked for, its own control buffer of <c>ControlBytes</c>, plus
/// <c>VectorCapacity</c> iovecs (<c>Capacity</c> unless asked for more). Entry <c>i</c> starts out using iovec <c>i</c> alone; a sender may point an entry at a
/// longer run of iovecs. Allocated once in native memory, so building a batch is a few stores per packet and never
/// allocates or pins. Not thread-safe: one direction, one thread.
/// </summary>
internal sealed unsafe class MessageVector : IDisposable
{
    private byte* _block;

    /// <param name="capacity">Entries.</param>
    /// <param name="controlBytes">Control buffer per entry (a CMSG_SPACE multiple of 8), 0 for none.</param>
    /// <param name="vectorCapacity">iovecs; 0 for one per entry. More lets a datagram be gathered from several pieces.</param>
    public MessageVector(int capacity, int controlBytes = 0, int vectorCapacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        vectorCapacity = vectorCapacity == 0 ? capacity : vectorCapacity;
        ArgumentOutOfRangeException.ThrowIfLessThan(vectorCapacity, capacity);
        ArgumentOutOfRangeException.ThrowIfNegative(controlBytes);
        if (controlBytes != Cmsg.Align(controlBytes))
        {
            throw new ArgumentException($"A control buffer must be a multiple of {sizeof(nuint)} bytes; got {controlBytes}", nameof(controlBytes));
        }
        Capacity = capacity;
        VectorCapacity = vectorCapacity;
        ControlBytes = controlBytes;
        nuint messagesBytes = (nuint)(capacity * sizeof(mmsghdr));
        nuint vectorsBytes = (nuint)(vectorCapacity * sizeof(iovec));
        nuint namesBytes = (nuint)(capacity * sizeof(sockaddr_in));
        nuint controlsBytes = (nuint)capacity * (nuint)controlBytes;
        _block = (byte*)NativeMemory.AllocZeroed(messagesBytes + vectorsBytes + namesBytes + controlsBytes);
        Messages = (mmsghdr*)_block;
        Vectors = (iovec*)(_block + messagesBytes);
        Names = (sockaddr_in*)(_block + messagesBytes + vectorsBytes);
        Controls = controlBytes > 0 ? _block + messagesBytes + vectorsBytes + namesBytes : null;
        for (int i = 0; i < capacity; i++)
        {
            msghdr* header = Header(i);
            header->msg_name = &Names[i];
            header->msg_namelen = (uint)sizeof(sockaddr_in);
            header->msg_iov = &Vectors[i];
            header->msg_iovlen = 1;
            if (controlBytes > 0)
            {
                header->msg_control = Control(i);
                header->msg_controllen = controlBytes;
            }
        }
    }

    public int Capacity { get; }

    public int VectorCapacity { get; }

    /// <summary>Bytes of each entry's control buffer; 0 when entries have none.</summary>
    public int ControlBytes { get; }

    public mmsghdr* Messages { get; private set; }

    public iovec* Vectors { get; private set; }

    public sockaddr_in* Names { get; private set; }

    /// <summary>Start of the control buffers, <see cref="ControlBytes"/> apart; null when entries have none.</summary>
    public byte* Controls { get; private set; }

    /// <summary>
    /// The msghdr inside entry <paramref name="index"/>. Tmds.LibC exposes <c>msg_hdr</c> as a by-value property;
    /// it is the first member of <c>struct mmsghdr</c> (offset 0, checked against C by the layout test), so the
    /// entry's address is the header's address.
    /// </summary>
    public msghdr* Header(int index) => (msghdr*)&Messages[index];

    /// <summary>Entry <paramref name="index"/>'s control buffer (only when <see cref="ControlBytes"/> &gt; 0).</summary>
    public byte* Control(int index) => Controls + ((long)index * ControlBytes);

    public void Dispose()
    {
        if (_block != null)
        {
            NativeMemory.Free(_block);
            _block = null;
            Messages = null;
            Vectors = null;
            Names = null;
            Controls = null;
        }
    }
}
