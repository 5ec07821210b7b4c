using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Packets;
using Overlay.DataPlane.Routing;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class ProcessorFuzzTests
{
    private const int BatchCapacity = 64;
    private const int SlotSize = 1600;
    private const int Buffers = 100_000;

    [Fact]
    public void HundredThousandHostileBuffersAreEachForwardedOrCounted()
    {
        var random = new Random(20240601);
        var routes = new RouteTableHolder();
        routes.Publish(RouteTable.Create(
        [
            new Route(Ipv4Subnet.Parse("10.244.2.0/24"), new PeerEndpoint(Ipv4.Parse("198.18.0.2"), 8285)),
            new Route(Ipv4Subnet.Parse("10.244.3.0/24"), new PeerEndpoint(Ipv4.Parse("198.18.0.3"), 8285)),
        ]));
        var outbound = new OutboundProcessor(routes, Ipv4.Parse("10.244.1.0"));
        var inbound = new InboundProcessor(routes);
        var outboundBatch = new PacketBatch(BatchCapacity, SlotSize);
        var inboundBatch = new PacketBatch(BatchCapacity, SlotSize);
        var replies = new PacketBatch(BatchCapacity, IcmpNetUnreachable.MaximumLength);
        var outboundTally = new ForwardingTally();
        var inboundTally = new ForwardingTally();
        byte[][] inputs = new byte[BatchCapacity][];
        long outboundForwarded = 0;
        long inboundForwarded = 0;
        long outboundReplies = 0;

        for (int done = 0; done < Buffers; done += BatchCapacity)
        {
            int count = Math.Min(BatchCapacity, Buffers - done);
            for (int i = 0; i < count; i++)
            {
                inputs[i] = HostileBuffer(random);
                Load(outboundBatch, i, inputs[i]);
                Load(inboundBatch, i, inputs[i]);
                inboundBatch.Endpoint(i) = Sender(random);
            }
            outboundBatch.Count = count;
            inboundBatch.Count = count;
            replies.Count = 0;

            outbound.Process(outboundBatch, replies, outboundTally);
            inbound.Process(inboundBatch, inboundTally);

            for (int i = 0; i < count; i++)
            {
                if (outboundBatch.Length(i) > 0)
                {
                    outboundForwarded++;
                    AssertForwardedCorrectly(inputs[i], outboundBatch.Packet(i));
                    Assert.True(routes.Current.TryLookup(Ipv4.Read(inputs[i].AsSpan(16)), out PeerEndpoint hop));
                    Assert.Equal(hop, outboundBatch.Endpoint(i));
                }
                if (inboundBatch.Length(i) > 0)
                {
                    inboundForwarded++;
                    AssertForwardedCorrectly(inputs[i], inboundBatch.Packet(i));
                    Assert.True(routes.Current.IsKnownPeer(inboundBatch.Endpoint(i).Address));
                }
            }
            for (int r = 0; r < replies.Count; r++)
            {
                Assert.True(ReferenceChecksum.HeaderIsValid(replies.Packet(r)));
                Assert.Equal(0, ReferenceChecksum.Compute(replies.Packet(r)[20..]));
            }
            outboundReplies += replies.Count;
        }

        Assert.Equal(Buffers, outboundForwarded + SumDrops(outboundTally));
        Assert.Equal(Buffers, inboundForwarded + SumDrops(inboundTally));
        Assert.Equal(outboundReplies, outboundTally.IcmpRepliesGenerated);
        Assert.True(outboundReplies <= outboundTally.DropsFor(DropReason.NoRoute));
        // The mix is meant to reach every check; a generator that stopped doing so would make this test hollow.
        foreach (DropReason reason in new[] { DropReason.TooShort, DropReason.NotIpv4, DropReason.BadHeaderLength, DropReason.Truncated, DropReason.UnknownSource, DropReason.TtlExpired })
        {
            Assert.True(inboundTally.DropsFor(reason) > 100, $"{reason}: {inboundTally.DropsFor(reason)}");
        }
        Assert.True(outboundTally.DropsFor(DropReason.NoRoute) > 100);
        Assert.True(outboundForwarded > 1000 && inboundForwarded > outboundForwarded);
    }

    /// <summary>Mostly one of the two peers (any port), sometimes a host nobody routes to.</summary>
    private static PeerEndpoint Sender(Random random) => random.Next(8) switch
    {
        0 => new PeerEndpoint((uint)random.NextInt64(0, 1L << 32), (ushort)random.Next(65536)),
        1 => new PeerEndpoint(Ipv4.Parse("198.18.0.4"), 8285),
        _ => new PeerEndpoint(Ipv4.Parse(random.Next(2) == 0 ? "198.18.0.2" : "198.18.0.3"), (ushort)random.Next(65536)),
    };

    private static void Load(PacketBatch batch, int index, byte[] input)
    {
        input.CopyTo(batch.Slot(index));
        batch.Length(index) = input.Length;
        batch.Endpoint(index) = default;
    }

    private static void AssertForwardedCorrectly(byte[] input, ReadOnlySpan<byte> output)
    {
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(2));
        Assert.Equal(totalLength, output.Length);
        Assert.True(input[8] >= 2);
        Assert.Equal(input[8] - 1, output[8]);
        Assert.True(input.AsSpan(0, 8).SequenceEqual(output[..8]));
        Assert.Equal(input[9], output[9]);
        Assert.Equal(ReferenceChecksum.HeaderIsValid(input), ReferenceChecksum.HeaderIsValid(output));
        Assert.True(input.AsSpan(12, totalLength - 12).SequenceEqual(output[12..]));
    }

    private static long SumDrops(ForwardingTally tally)
    {
        long total = 0;
        foreach (long drops in tally.Drops)
        {
            total += drops;
        }
        return total;
    }

    private static byte[] HostileBuffer(Random random)
    {
        uint destination = random.Next(3) switch
        {
            0 => Ipv4.Parse("10.244.2.0") + (uint)random.Next(256),
            1 => Ipv4.Parse("10.244.3.0") + (uint)random.Next(256),
            _ => (uint)random.NextInt64(0, 1L << 32),
        };
        var builder = new PacketBuilder
        {
            Source = Ipv4.Parse("10.244.1.0") + (uint)random.Next(256),
            Destination = destination,
            Ttl = (byte)random.Next(256),
            Identification = (ushort)random.Next(65536),
            MoreFragments = random.Next(4) == 0,
            FragmentOffset = random.Next(4) == 0 ? random.Next(1, 8192) : 0,
            Options = new byte[4 * random.Next(0, 11)],
            Payload = new byte[random.Next(0, 1400)],
        };
        random.NextBytes(builder.Payload);
        byte[] packet = random.Next(4) switch
        {
            0 => builder.Udp(),
            1 => builder.Tcp(),
            2 => builder.IcmpEcho(),
            _ => builder.Raw((byte)random.Next(256), builder.Payload),
        };
        switch (random.Next(8))
        {
            case 0:
                // Pure noise of any length a slot holds.
                byte[] noise = new byte[random.Next(0, SlotSize + 1)];
                random.NextBytes(noise);
                return noise;
            case 1:
                // Cut short anywhere, including inside the header.
                return packet[..random.Next(0, packet.Length)];
            case 2:
                // A few header bytes flipped: version, IHL, lengths, TTL, checksum all fair game.
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    packet[random.Next(Math.Min(24, packet.Length))] ^= (byte)random.Next(1, 256);
                }
                return packet;
            case 3:
                // Padding past the total length, as some link layers leave.
                return [.. packet, .. new byte[random.Next(1, 64)]];
            case 4:
                // A total length claiming more or less than was sent.
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)random.Next(65536));
                return packet;
            default:
                return packet;
        }
    }
}
