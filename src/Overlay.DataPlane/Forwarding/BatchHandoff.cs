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
    /// the rest as <see cref="DropReason.TunWriteFailed"/>. Does not call the writer when nothing is pending. For
    /// packets of our own (ICMP replies); received ones go through <see cref="Deliver"/>.
    /// </summary>
    public static void Write(ITunWriter tun, PacketBatch packets, ForwardingTally tally) => Write(tun, packets, tally, countPeers: false);

    /// <summary>
    /// <see cref="Write(ITunWriter, PacketBatch, ForwardingTally)"/> for packets received from peers: each written one
    /// also counts as received from its peer (<see cref="PacketBatch.Peer"/>, set by the inbound processor).
    /// </summary>
    public static void Deliver(ITunWriter tun, PacketBatch packets, ForwardingTally tally) => Write(tun, packets, tally, countPeers: true);

    /// <summary>
    /// Counts merge <paramref name="packet"/> of <paramref name="merged"/>, which the TUN took, as received from the
    /// peers of the slots it was gathered from, each with its own length.
    /// </summary>
    public static void CountDeliveredMerge(PacketBatch source, GatheredPackets merged, int packet, PeerTally peers)
    {
        CountReceived(source, merged.HeadSlot(packet), peers);
        for (int slot = merged.FirstTail(packet); slot >= 0; slot = merged.NextTail(slot))
        {
            CountReceived(source, slot, peers);
        }
    }

    private static void CountReceived(PacketBatch source, int slot, PeerTally peers)
    {
        int peer = source.Peer(slot);
        if (peer >= 0)
        {
            peers.AddReceived(peer, source.Length(slot));
        }
    }

    private static void Write(ITunWriter tun, PacketBatch packets, ForwardingTally tally, bool countPeers)
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
                if (countPeers)
                {
                    CountReceived(packets, i, tally.Peers);
                }
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
