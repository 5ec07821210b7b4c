using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;

namespace Overlay.Benchmarks;

/// <summary>
/// The TUN TSO read path: one 65,535-byte TCP superpacket, as a TUN device with offloads hands it over (partial TCP
/// checksum, GSO size 1,432), cut into 46 plain packets of at most 1,472 bytes with their own IPv4 id, length and
/// header checksum, sequence number and full TCP checksum. Reported per segment: OperationsPerInvoke is the 46
/// segments one superpacket gives. Per-operation reset work: emptying the segment batch (one field); the superpacket
/// is never modified, so nothing is restored.
/// </summary>
[MemoryDiagnoser]
public class TsoSplitBenchmarks
{
    private const int Mtu = 1472;
    private const int HeaderLength = 40;
    private const int Mss = Mtu - HeaderLength;
    private const int PayloadLength = ushort.MaxValue - HeaderLength;
    private const int Segments = (PayloadLength + Mss - 1) / Mss;
    private const uint FirstSequence = 1_000_000;

    private readonly ForwardingTally _tally = new();
    private PacketBatch _superpackets = null!;
    private PacketBatch _segments = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = Packets.Pattern(PayloadLength, seed: 1432);
        byte[] superpacket = Packets.WithPartialTcpChecksum(Packets.Tcp(
            0x0AF4_0102, 0x0AF4_0203, identification: 100, FirstSequence, acknowledgment: 777,
            Packets.TcpAck | Packets.TcpPsh, options: [], payload));
        _superpackets = new PacketBatch(1, OffloadLimits.MaximumPacketLength);
        superpacket.CopyTo(_superpackets.Slot(0));
        _superpackets.Length(0) = superpacket.Length;
        _superpackets.Offload(0) = new OffloadInfo
        {
            Flags = OffloadFlags.NeedsChecksum,
            GsoType = GsoType.TcpV4,
            HeaderLength = HeaderLength,
            GsoSize = Mss,
            ChecksumStart = 20,
            ChecksumOffset = 16,
        };
        _superpackets.Count = 1;
        _segments = new PacketBatch(Segments, Mtu);

        if (Split() != Segments || _tally.Drops.IndexOfAnyExcept(0L) >= 0)
        {
            throw new InvalidOperationException($"the superpacket did not split into {Segments} segments without drops");
        }
        for (int i = 0; i < Segments; i++)
        {
            ReadOnlySpan<byte> segment = _segments.Packet(i);
            int payloadStart = i * Mss;
            int expectedPayload = Math.Min(Mss, PayloadLength - payloadStart);
            bool last = i == Segments - 1;
            if (segment.Length != HeaderLength + expectedPayload ||
                !Packets.TcpChecksumsVerify(segment) ||
                BinaryPrimitives.ReadUInt16BigEndian(segment[2..]) != segment.Length ||
                BinaryPrimitives.ReadUInt16BigEndian(segment[4..]) != 100 + i ||
                BinaryPrimitives.ReadUInt32BigEndian(segment[24..]) != FirstSequence + (uint)payloadStart ||
                segment[33] != (last ? Packets.TcpAck | Packets.TcpPsh : Packets.TcpAck) ||
                !segment[HeaderLength..].SequenceEqual(payload.AsSpan(payloadStart, expectedPayload)))
            {
                throw new InvalidOperationException($"segment {i} is not the expected slice of the superpacket");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Segments)]
    public int Split()
    {
        _segments.Count = 0;
        return SuperpacketSegmenter.Segment(_superpackets, 0, _segments, _tally).Appended;
    }
}
