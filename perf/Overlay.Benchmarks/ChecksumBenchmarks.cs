using BenchmarkDotNet.Attributes;
using Overlay.DataPlane.Packets;

namespace Overlay.Benchmarks;

/// <summary>
/// The Internet checksum over an IPv4 header (20 bytes), a full-size packet (1,472 bytes) and a largest superpacket
/// (65,535 bytes, the span a TSO split or a GRO merge sums).
/// </summary>
[MemoryDiagnoser]
public class ChecksumBenchmarks
{
    private byte[] _packet = [];

    [Params(20, 1472, 65535)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // A UDP packet is at least 28 bytes; the 20-byte case sums just its IPv4 header.
        _packet = Packets.Udp(0x0AF4_0101, 0x0AF4_0201, Math.Max(Bytes - 28, 0));
        if (Bytes == 20 && !InternetChecksum.IsValid(_packet.AsSpan(0, 20)))
        {
            throw new InvalidOperationException("the IPv4 header checksum of the test packet does not verify");
        }
    }

    [Benchmark]
    public ushort Compute() => InternetChecksum.Compute(_packet.AsSpan(0, Bytes));
}
