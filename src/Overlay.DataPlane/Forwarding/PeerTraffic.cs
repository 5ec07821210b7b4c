using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// One peer's totals at one moment. Sent counts packets routed to the peer and handed to the UDP socket (a send the
/// kernel refuses is also counted as a <see cref="DropReason.SendFailed"/> drop); received counts datagrams from the
/// peer's public address that passed validation and go on to the TUN device. Bytes are inner IPv4 packet bytes, as
/// in <see cref="ForwardingSnapshot"/>.
/// </summary>
/// <param name="Address">The peer's public IPv4 address, host byte order.</param>
public readonly record struct PeerTraffic(uint Address, long SentPackets, long SentBytes, long ReceivedPackets, long ReceivedBytes)
{
    public override string ToString() =>
        $"{Ipv4.Format(Address)}: sent {SentPackets} packets / {SentBytes} bytes, received {ReceivedPackets} packets / {ReceivedBytes} bytes";
}
