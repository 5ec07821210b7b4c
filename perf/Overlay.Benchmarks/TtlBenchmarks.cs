using BenchmarkDotNet.Attributes;
using Overlay.DataPlane.Packets;

namespace Overlay.Benchmarks;

/// <summary>
/// TTL decrement with the RFC 1624 incremental header-checksum update, per packet. Each operation first restores
/// the 20-byte header from a template (about a nanosecond), so every decrement starts from TTL 255 however many
/// times BenchmarkDotNet invokes the method.
/// </summary>
[MemoryDiagnoser]
public class TtlBenchmarks
{
    private const int Batch = 64;
    private byte[][] _templates = [];
    private byte[][] _packets = [];

    [GlobalSetup]
    public void Setup()
    {
        _templates = new byte[Batch][];
        _packets = new byte[Batch][];
        for (int i = 0; i < Batch; i++)
        {
            _templates[i] = Packets.Udp(0x0AF4_0101, 0x0AF4_0201 + (uint)i, 64, ttl: 255);
            _packets[i] = (byte[])_templates[i].Clone();
        }
        Decrement();
        if (_packets[0][8] != 254 || !InternetChecksum.IsValid(_packets[0].AsSpan(0, 20)))
        {
            throw new InvalidOperationException("TTL decrement did not produce TTL 254 with a valid header checksum");
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Decrement()
    {
        int applied = 0;
        for (int i = 0; i < Batch; i++)
        {
            byte[] packet = _packets[i];
            _templates[i].AsSpan(0, 20).CopyTo(packet);
            if (TtlDecrement.TryApply(packet))
            {
                applied++;
            }
        }
        return applied;
    }
}
