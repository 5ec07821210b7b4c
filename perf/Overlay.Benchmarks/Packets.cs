using System.Buffers.Binary;
using Overlay.DataPlane.Packets;

namespace Overlay.Benchmarks;

/// <summary>Hand-built IPv4/UDP packets for benchmarks (the test kit's builder is not referenced from perf code).</summary>
internal static class Packets
{
    public static byte[] Udp(uint source, uint destination, int payloadLength, byte ttl = 64)
    {
        var packet = new byte[20 + 8 + payloadLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = ttl;
        packet[9] = 17;
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(12), source);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(16), destination);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), InternetChecksum.Compute(packet.AsSpan(0, 20)));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 5201);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(8 + payloadLength));
        for (int i = 0; i < payloadLength; i++)
        {
            packet[28 + i] = (byte)i;
        }
        return packet;
    }
}
