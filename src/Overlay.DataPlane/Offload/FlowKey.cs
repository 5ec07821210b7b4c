using System.Buffers.Binary;
using Overlay.DataPlane.Packets;

namespace Overlay.DataPlane.Offload;

/// <summary>One direction of a TCP connection or UDP flow: protocol, addresses and ports as they appear in the packet.</summary>
internal readonly record struct FlowKey(uint Source, uint Destination, uint Ports, byte Protocol)
{
    /// <summary>Reads the key of a packet whose transport header starts at <paramref name="transportOffset"/>.</summary>
    public static FlowKey Read(ReadOnlySpan<byte> packet, int transportOffset) => new(
        BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4Header.SourceOffset..]),
        BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4Header.DestinationOffset..]),
        BinaryPrimitives.ReadUInt32BigEndian(packet[transportOffset..]),
        packet[Ipv4Header.ProtocolOffset]);

    /// <summary>
    /// Reads the key of any TCP or UDP over IPv4 packet that carries its ports (not a non-first fragment), merge
    /// candidate or not, so a packet that cannot merge can still end its flow's open merge and keep the flow in order.
    /// Never throws.
    /// </summary>
    public static bool TryReadPorts(ReadOnlySpan<byte> packet, out FlowKey key)
    {
        key = default;
        if (packet.Length < Ipv4Header.MinimumLength || packet[0] >> 4 != 4 ||
            (packet[Ipv4Header.ProtocolOffset] != Ipv4Header.ProtocolTcp && packet[Ipv4Header.ProtocolOffset] != Ipv4Header.ProtocolUdp) ||
            (BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4Header.FlagsAndFragmentOffset..]) & 0x1FFF) != 0)
        {
            return false;
        }
        int ipHeaderLength = (packet[0] & 0x0F) * 4;
        if (ipHeaderLength < Ipv4Header.MinimumLength || ipHeaderLength + 4 > packet.Length)
        {
            return false;
        }
        key = Read(packet, ipHeaderLength);
        return true;
    }
}
