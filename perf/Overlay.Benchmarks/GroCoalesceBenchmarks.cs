using BenchmarkDotNet.Attributes;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;

namespace Overlay.Benchmarks;

/// <summary>
/// The TUN GRO write path: a received batch of 44 back-to-back segments of one TCP flow (1,420-byte payloads behind
/// timestamp options, as Linux sends them at a 1,472-byte MTU), each checksum-verified and merged into one 62,532-byte
/// superpacket for a TUN device with offloads, as the forwarder does it: gathered, naming the received slots rather
/// than copying them. Reported per segment: OperationsPerInvoke is the 44 segments merged. Per-operation reset work:
/// the first segment's 52 header bytes are put back, since the merge rewrites them in place; the coalescer empties its
/// output and flow table itself at the start of every call.
/// </summary>
[MemoryDiagnoser]
public class GroCoalesceBenchmarks
{
    private const int Mtu = 1472;
    private const int Segments = 44;
    private const int HeaderLength = 20 + 20 + 12;
    private const int Mss = Mtu - HeaderLength;
    private const uint FirstSequence = 1_000_000;

    private PacketBatch _segments = null!;
    private PacketBatch _superpackets = null!;
    private GatheredPackets _gathered = null!;
    private GroCoalescer _coalescer = null!;
    private byte[] _firstHeaders = null!;

    [GlobalSetup]
    public void Setup()
    {
        byte[] options = Packets.Timestamps(0x1122_3344, 0x5566_7788);
        _segments = new PacketBatch(Segments, Mtu);
        var originals = new byte[Segments][];
        for (int i = 0; i < Segments; i++)
        {
            byte flags = i == Segments - 1 ? (byte)(Packets.TcpAck | Packets.TcpPsh) : Packets.TcpAck;
            originals[i] = Packets.Tcp(
                0x0AF4_0102, 0x0AF4_0203, (ushort)(100 + i), FirstSequence + (uint)(i * Mss), acknowledgment: 777,
                flags, options, Packets.Pattern(Mss, seed: i));
            originals[i].CopyTo(_segments.Slot(i));
            _segments.Length(i) = originals[i].Length;
        }
        _segments.Count = Segments;
        _superpackets = new PacketBatch(Segments, OffloadLimits.MaximumPacketLength);
        _gathered = new GatheredPackets(Segments);
        _coalescer = new GroCoalescer(Segments);
        _firstHeaders = originals[0][..HeaderLength];

        for (int run = 0; run < 2; run++)
        {
            if (Coalesce() != Segments || _gathered.Count != 1 || _gathered.Pieces(0) != Segments ||
                _gathered.Length(0) != HeaderLength + Segments * Mss)
            {
                throw new InvalidOperationException($"the {Segments} segments did not merge into one superpacket (run {run + 1})");
            }
        }
        // The same merge put together contiguous, to check its bytes.
        _firstHeaders.CopyTo(_segments.Slot(0));
        if (_coalescer.Coalesce(_segments, _superpackets).MergedPackets != Segments ||
            !_superpackets.Offload(0).Equals(_gathered.Offload(0)))
        {
            throw new InvalidOperationException("the contiguous merge differs from the gathered one");
        }
        var expected = new OffloadInfo
        {
            Flags = OffloadFlags.NeedsChecksum,
            GsoType = GsoType.TcpV4,
            HeaderLength = HeaderLength,
            GsoSize = Mss,
            ChecksumStart = 20,
            ChecksumOffset = 16,
        };
        if (!_superpackets.Offload(0).Equals(expected))
        {
            throw new InvalidOperationException("the superpacket's offload metadata is not what a TUN expects for TSO");
        }
        VerifyRoundTrip(originals);
    }

    [Benchmark(OperationsPerInvoke = Segments)]
    public int Coalesce()
    {
        _firstHeaders.CopyTo(_segments.Slot(0));
        return _coalescer.Coalesce(_segments, _gathered).MergedPackets;
    }

    /// <summary>Cutting the superpacket again must give back the original segments byte for byte.</summary>
    private void VerifyRoundTrip(byte[][] originals)
    {
        var again = new PacketBatch(Segments, Mtu);
        SuperpacketSegmenter.Segment(_superpackets, 0, again, new ForwardingTally());
        if (again.Count != Segments)
        {
            throw new InvalidOperationException($"the superpacket split into {again.Count} segments, not {Segments}");
        }
        for (int i = 0; i < Segments; i++)
        {
            if (!again.Packet(i).SequenceEqual(originals[i]))
            {
                throw new InvalidOperationException($"segment {i} did not survive the round trip through a superpacket");
            }
        }
    }
}
