using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// The last step of every forwarding loop: hand a batch's non-empty slots to the socket or the TUN queue, count what
/// went through, and count the shortfall as drops. Counts reported by the I/O layer are clamped to what was offered,
/// so a misbehaving implementation can skew neither the totals nor the drops.
/// </summary>
/// <remarks>Stateless; allocation-free. Each call runs on the thread that owns the batch and the tally.</remarks>
internal static class BatchHandoff
{
    /// <summary>
    /// Sends the non-empty slots of <paramref name="packets"/>; counts the sent ones and their bytes, the rest as
    /// <see cref="DropReason.SendFailed"/>. Does not call the socket when nothing is pending.
    /// </summary>
    public static void Send(IUdpBatchSocket udp, PacketBatch packets, ForwardingTally tally)
    {
        int pending = PendingPackets.Count(packets, out _);
        if (pending > 0)
        {
            int sent = Math.Clamp(udp.Send(packets), 0, pending);
            tally.AddUdpSent(sent, PendingPackets.BytesOfFirst(packets, sent));
            tally.AddDrop(DropReason.SendFailed, pending - sent);
        }
    }

    /// <summary>
    /// Writes the non-empty slots of <paramref name="packets"/> to the TUN queue; counts the written ones and their
    /// bytes, the rest as <see cref="DropReason.TunWriteFailed"/>. Does not call the queue when nothing is pending.
    /// </summary>
    public static void Write(ITunWriter tun, PacketBatch packets, ForwardingTally tally)
    {
        int pending = PendingPackets.Count(packets, out _);
        if (pending > 0)
        {
            int written = Write(tun, packets, pending);
            tally.AddTunWritten(written, PendingPackets.BytesOfFirst(packets, written));
            tally.AddDrop(DropReason.TunWriteFailed, pending - written);
        }
    }

    /// <summary>
    /// Writes <paramref name="packets"/> to the TUN queue and returns how many of the <paramref name="pending"/>
    /// packets it accepted, clamped to <c>0..pending</c>; counting is left to callers whose slots are not one packet each.
    /// </summary>
    public static int Write(ITunWriter tun, PacketBatch packets, int pending) =>
        Math.Clamp(tun.Write(packets), 0, pending);

    /// <summary>
    /// Writes gathered packets to the TUN queue and returns how many of them it accepted, clamped to
    /// <c>0..packets.Count</c>; counting is left to the caller, whose packets may each be several.
    /// </summary>
    public static int Write(ITunWriter tun, PacketBatch source, GatheredPackets packets) =>
        Math.Clamp(tun.Write(source, packets), 0, packets.Count);
}
