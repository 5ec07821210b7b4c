namespace Overlay.DataPlane.Buffers;

/// <summary>
/// Where a slot's packet continues outside its slot: <see cref="Length"/> bytes at <see cref="Offset"/> in the batch's
/// <see cref="PacketBatch.TailSource"/>. A segment cut from a superpacket is its own headers (written in the slot)
/// followed by a slice of the superpacket's payload (left where the TUN read put it), so the payload is never copied
/// in userspace: the UDP send gathers the two. All-zero means the whole packet is in the slot.
/// </summary>
public struct PacketTail
{
    public int Offset;

    public int Length;

    public PacketTail(int offset, int length)
    {
        Offset = offset;
        Length = length;
    }
}
