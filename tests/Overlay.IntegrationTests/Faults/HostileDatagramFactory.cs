using System.Buffers.Binary;
using Overlay.TestKit.Packets;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// Builds a shuffled mix of hostile datagrams, each constructed to break exactly one of the header rules in the
/// order overlayd checks them (length, version, header length, total length), plus well-formed packets. Seeded,
/// so a failure can be replayed.
/// </summary>
internal sealed class HostileDatagramFactory(int seed, string validSource, string validDestination)
{
    private readonly Random _random = new(seed);

    /// <summary><paramref name="perKind"/> datagrams of every <see cref="HostileKind"/>, in random order.</summary>
    public List<HostileDatagram> Build(int perKind)
    {
        var all = new List<HostileDatagram>();
        foreach (HostileKind kind in Enum.GetValues<HostileKind>())
        {
            for (int i = 0; i < perKind; i++)
            {
                all.Add(new HostileDatagram(kind, Build(kind, i)));
            }
        }
        _random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
        return all;
    }

    private byte[] Build(HostileKind kind, int variant) => kind switch
    {
        HostileKind.TooShort => TooShort(variant),
        HostileKind.NotIpv4 => NotIpv4(variant),
        HostileKind.BadHeaderLength => BadHeaderLength(variant),
        HostileKind.Truncated => Truncated(),
        _ => Valid(),
    };

    private byte[] TooShort(int variant)
    {
        byte[] bytes = RandomBytes(_random.Next(0, 20));
        if (variant % 2 == 0 && bytes.Length > 0)
        {
            bytes[0] = 0x45; // the first bytes of a real IPv4 header, cut off
        }
        return bytes;
    }

    private byte[] NotIpv4(int variant)
    {
        if (variant % 3 == 0)
        {
            // An IPv6 header (version 6, payload length, next header UDP, hop limit 64) and a little payload.
            byte[] ipv6 = RandomBytes(40 + _random.Next(0, 200));
            ipv6[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ipv6.AsSpan(4), (ushort)(ipv6.Length - 40));
            ipv6[6] = 17;
            ipv6[7] = 64;
            return ipv6;
        }
        byte[] bytes = RandomBytes(_random.Next(20, 300));
        int version = _random.Next(0, 15);
        version += version >= 4 ? 1 : 0;
        bytes[0] = (byte)((version << 4) | (bytes[0] & 0x0F));
        return bytes;
    }

    private byte[] BadHeaderLength(int variant)
    {
        byte[] bytes;
        switch (variant % 3)
        {
            case 0:
                // IHL 0-4: a header shorter than the 20-byte minimum.
                bytes = RandomBytes(_random.Next(20, 300));
                bytes[0] = (byte)(0x40 | _random.Next(0, 5));
                break;
            case 1:
                // IHL up to 15 (60 bytes) on a datagram too short to hold that header.
                bytes = RandomBytes(_random.Next(20, 60));
                bytes[0] = (byte)(0x40 | _random.Next((bytes.Length / 4) + 1, 16));
                break;
            default:
                // A sane IHL, but a total length that ends inside the header.
                bytes = RandomBytes(_random.Next(60, 300));
                int ihl = _random.Next(5, 16);
                bytes[0] = (byte)(0x40 | ihl);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)_random.Next(0, ihl * 4));
                break;
        }
        return bytes;
    }

    private byte[] Truncated()
    {
        byte[] bytes = RandomBytes(_random.Next(20, 1000));
        bytes[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)_random.Next(bytes.Length + 1, 65536));
        return bytes;
    }

    private byte[] Valid() =>
        (PacketBuilder.Between(validSource, validDestination) with { Payload = RandomBytes(_random.Next(0, 200)) }).Udp(destinationPort: 9);

    private byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }
}
