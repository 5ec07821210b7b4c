using BenchmarkDotNet.Attributes;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Benchmarks;

/// <summary>
/// The in-memory part of forwarding one batch of 64 full-size packets from the TUN towards UDP: validate, look up
/// the route (100 peers), decrement TTL, set the endpoint. No syscalls: this is the per-packet CPU cost Overlay adds
/// on top of the kernel. Each operation restores the packet's 20-byte header first, so TTLs never run out.
/// </summary>
[MemoryDiagnoser]
public class ForwardBenchmarks
{
    private const int Batch = 64;
    private readonly RouteTableHolder _routes = new();
    private readonly ForwardingTally _tally = new();
    private PacketBatch _packets = null!;
    private PacketBatch _replies = null!;
    private OutboundProcessor _processor = null!;
    private byte[][] _headers = [];
    private int _packetLength;

    [GlobalSetup]
    public void Setup()
    {
        var routes = new Route[100];
        for (int i = 0; i < routes.Length; i++)
        {
            routes[i] = new Route(new Ipv4Subnet(0x0AF4_0000u | ((uint)(i + 2) << 8), 24), new PeerEndpoint(0xC612_0000u | (uint)(i + 2), 8285));
        }
        _routes.Publish(RouteTable.Create(routes));
        _processor = new OutboundProcessor(_routes, 0x0AF4_0100);
        _packets = new PacketBatch(Batch, 1472);
        _replies = new PacketBatch(Batch, 128);
        _headers = new byte[Batch][];
        for (int i = 0; i < Batch; i++)
        {
            byte[] packet = Packets.Udp(0x0AF4_0101, 0x0AF4_0001u | ((uint)((i % 100) + 2) << 8), 1472 - 28);
            packet.CopyTo(_packets.Slot(i));
            _headers[i] = packet[..20];
            _packetLength = packet.Length;
        }
        Forward();
        for (int i = 0; i < Batch; i++)
        {
            var expected = new PeerEndpoint(0xC612_0000u | (uint)((i % 100) + 2), 8285);
            if (_packets.Length(i) != _packetLength || _packets.Endpoint(i) != expected)
            {
                throw new InvalidOperationException($"packet {i} was not routed to {expected}");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public int Forward()
    {
        for (int i = 0; i < Batch; i++)
        {
            _headers[i].CopyTo(_packets.Slot(i));
            _packets.Length(i) = _packetLength;
        }
        _packets.Count = Batch;
        _replies.Count = 0;
        _tally.Reset();
        _processor.Process(_packets, _replies, _tally);
        return _packets.Count;
    }
}
