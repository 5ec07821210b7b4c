using Overlay.DataPlane.Abstractions;
using Overlay.DataPlane.Buffers;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// The last step of every forwarding loop: hand a batch's non-empty slots to the socket or the TUN, then count from
/// each slot's <see cref="PacketBatch.Outcome"/> what went through (packets, their exact bytes, and for sends the
/// peer each went to) and what was refused (drops). The I/O layer keeps no totals the loops rely on; this is the one
/// place a batch's outcome becomes counts.
/// </summary>
/// <remarks>Stateless; allocation-free. Each call runs on the thread that owns the batch and the tally.</remarks>
internal static class BatchHandoff
{
    /// <summary>
    /// Sends the non-empty slots of <paramref name="packets"/>; counts the sent ones, their bytes and their peers
    /// (<see cref="PacketBatch.Peer"/>, set by the router), the rest as <see cref="DropReason.SendFailed"/>. Does not
    /// call the socket when nothing is pending.
    /// </summary>
    public static void Send(IUdpBatchSocket udp, PacketBatch packets, ForwardingTally tally)
    {
        int pending = PendingPackets.Count(packets, out _);
        if (pending == 0)
        {
            return;
        }
        udp.Send(packets);
        PeerTally peers = tally.Peers;
        int sent = 0;
        long bytes = 0;
        for (int i = 0; i < packets.Count; i++)
        {
            int length = packets.Length(i);
            if (length == 0 || packets.Outcome(i) != SlotOutcome.Done)
            {
                continue;
            }
            sent++;
            bytes += length;
            int peer = packets.Peer(i);
            if (peer >= 0)
            {
                peers.AddSent(peer, length);
            }
        }
        tally.AddUdpSent(sent, bytes);
        tally.AddDrop(DropReason.SendFailed, pending - sent);
    }

    /// <summary>
    /// Writes the non-empty slots of <paramref name="packets"/> to the TUN; counts the written ones and their bytes,
    /// the rest as <see cref="DropReason.TunWriteFailed"/>. Does not call the writer when nothing is pending.
    /// </summary>
    public static void Write(ITunWriter tun, PacketBatch packets, ForwardingTally tally)
    {
        int pending = PendingPackets.Count(packets, out _);
        if (pending == 0)
        {
            return;
        }
        tun.Write(packets);
        int written = 0;
        long bytes = 0;
        for (int i = 0; i < packets.Count; i++)
        {
            int length = packets.Length(i);
            if (length != 0 && packets.Outcome(i) == SlotOutcome.Done)
            {
                written++;
                bytes += length;
            }
        }
        tally.AddTunWritten(written, bytes);
        tally.AddDrop(DropReason.TunWriteFailed, pending - written);
    }

    /// <summary>
    /// Writes gathered packets to the TUN; each packet's <see cref="GatheredPackets.Outcome"/> then says whether the
    /// kernel took it. Counting is left to the caller, whose packets may each be several.
    /// </summary>
    public static void Write(ITunWriter tun, PacketBatch source, GatheredPackets packets)
    {
        if (packets.Count > 0)
        {
            tun.Write(source, packets);
        }
    }
}
