using Overlay.DataPlane.Packets;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Packets;

public sealed class InternetChecksumTests
{
    [Fact]
    public void Rfc1071ExampleSumsToDdf2()
    {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        byte[] data = Hex.Bytes("0001 f203 f4f5 f6f7");

        Assert.Equal(0xDDF2, InternetChecksum.Sum(data));
        Assert.Equal(0x220D, InternetChecksum.Compute(data));
    }

    [Fact]
    public void KnownIpv4HeaderGetsItsPublishedChecksum()
    {
        byte[] header = Hex.Bytes("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");

        Assert.Equal(0xB861, InternetChecksum.Compute(header));

        header[10] = 0xB8;
        header[11] = 0x61;
        Assert.True(InternetChecksum.IsValid(header));
        header[15] ^= 1;
        Assert.False(InternetChecksum.IsValid(header));
    }

    [Fact]
    public void OddTrailingByteIsTheHighHalfOfAPaddedWord()
    {
        Assert.Equal(0xAB00, InternetChecksum.Sum([0xAB]));
        Assert.Equal(0x0102 + 0x0300, InternetChecksum.Sum([0x01, 0x02, 0x03]));
    }

    [Fact]
    public void EmptyAndAllZeroDataSumToZero()
    {
        Assert.Equal(0, InternetChecksum.Sum([]));
        Assert.Equal(0, InternetChecksum.Sum(new byte[64]));
        Assert.Equal(0xFFFF, InternetChecksum.Compute(new byte[7]));
    }

    [Fact]
    public void CarriesOutOfEveryWordAreFoldedBack()
    {
        // 64 KiB of 0xFF overflows the 64-bit accumulator thousands of times; the one's-complement sum stays 0xFFFF.
        byte[] ones = new byte[65536];
        Array.Fill(ones, (byte)0xFF);

        Assert.Equal(0xFFFF, InternetChecksum.Sum(ones));
        Assert.Equal(ReferenceChecksum.Compute(ones), InternetChecksum.Compute(ones));
        Assert.Equal(ReferenceChecksum.Compute(ones.AsSpan(0, 65535)), InternetChecksum.Compute(ones.AsSpan(0, 65535)));
    }

    [Fact]
    public void MatchesTheWordByWordReferenceForEveryLengthAndAlignment()
    {
        var random = new Random(1071);
        byte[] buffer = new byte[1600];
        for (int round = 0; round < 3000; round++)
        {
            random.NextBytes(buffer);
            int offset = random.Next(0, 8);
            int length = round < 200 ? round : random.Next(0, buffer.Length - offset);
            ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);

            Assert.Equal(ReferenceChecksum.Compute(data), InternetChecksum.Compute(data));
        }
    }

    [Fact]
    public void SuperpacketSizedSpansMatchTheReferenceWhateverTheirTail()
    {
        // Long spans take the vector path in 64-byte blocks; the tails after the last block take the scalar one.
        var random = new Random(65535);
        byte[] buffer = new byte[65536 + 8];
        random.NextBytes(buffer);
        foreach (int length in (int[])[127, 128, 129, 191, 192, 1500, 9000, 65472, 65535, 65536])
        {
            for (int offset = 0; offset < 8; offset += 3)
            {
                ReadOnlySpan<byte> data = buffer.AsSpan(offset, length);

                Assert.Equal(ReferenceChecksum.Compute(data), InternetChecksum.Compute(data));
            }
        }
    }

    [Fact]
    public void SumAndCopyCopiesTheSourceAndSumsItAsTheReferenceForEveryLengthAndAlignment()
    {
        var random = new Random(1624);
        byte[] source = new byte[65536 + 16];
        byte[] destination = new byte[65536 + 32];
        int[] lengths = [.. Enumerable.Range(0, 300), 1471, 1472, 1473, 9000, 65471, 65472, 65535, 65536];
        foreach (int length in lengths)
        {
            random.NextBytes(source);
            Array.Fill(destination, (byte)0xA5);
            int from = random.Next(0, 8);
            int to = random.Next(0, 8);
            ReadOnlySpan<byte> data = source.AsSpan(from, length);

            ushort sum = InternetChecksum.SumAndCopy(data, destination.AsSpan(to));

            Assert.Equal(ReferenceChecksum.Compute(data), (ushort)~sum);
            Assert.True(data.SequenceEqual(destination.AsSpan(to, length)), $"{length} bytes at {from} -> {to} were not copied");
            Assert.All(destination.AsSpan(0, to).ToArray(), b => Assert.Equal(0xA5, b));
            Assert.All(destination.AsSpan(to + length).ToArray(), b => Assert.Equal(0xA5, b));
        }
    }

    [Fact]
    public void SumAndCopyRefusesADestinationShorterThanTheSourceBeforeWriting()
    {
        byte[] destination = new byte[199];

        var error = Assert.Throws<ArgumentException>(() => InternetChecksum.SumAndCopy(Enumerable.Repeat((byte)1, 200).ToArray(), destination));

        Assert.Contains("199", error.Message);
        Assert.All(destination, b => Assert.Equal(0, b));
    }

    [Fact]
    public void TheVectorBlocksSumAsTheReferenceDoes()
    {
        // The vector code is checked on its own: the 32-bit word sums of the blocks it consumed, folded, equal the
        // reference over exactly those bytes, at whatever vector width this machine has.
        int block = InternetChecksum.VectorBlockBytes;
        var random = new Random(block);
        byte[] buffer = new byte[65536];
        for (int round = 0; round < 50; round++)
        {
            random.NextBytes(buffer);
            int length = round == 0 ? buffer.Length : random.Next(0, buffer.Length);
            ReadOnlySpan<byte> data = buffer.AsSpan(0, length);
            ReadOnlySpan<byte> rest = data;

            ulong sum = InternetChecksum.SumVectorBlocks(ref rest);

            int consumed = length - rest.Length;
            Assert.Equal(0, consumed % block);
            Assert.True(rest.Length < block);
            Assert.Equal(ReferenceChecksum.Compute(data[..consumed]), (ushort)~FoldToNetworkOrder(sum));
        }
    }

    [Fact]
    public void PartialSumsOfEvenLengthPiecesCombine()
    {
        var random = new Random(7);
        byte[] data = new byte[301];
        random.NextBytes(data);
        for (int split = 0; split <= data.Length; split += 2)
        {
            ushort combined = InternetChecksum.Compute(data.AsSpan(split), InternetChecksum.Sum(data.AsSpan(0, split)));

            Assert.Equal(InternetChecksum.Compute(data), combined);
        }
    }

    [Fact]
    public void AddUsesEndAroundCarry()
    {
        Assert.Equal(0x0011, InternetChecksum.Add(0xFFF0, 0x0020));
        Assert.Equal(0x0002, InternetChecksum.Add(0xFFFF, 0x0002));
        Assert.Equal(0xFFFF, InternetChecksum.Add(0xFFFF, 0x0000));
        Assert.Equal(0x1234 + 0x4321, InternetChecksum.Add(0x1234, 0x4321));
    }

    private static ushort FoldToNetworkOrder(ulong sum)
    {
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return BitConverter.IsLittleEndian ? System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((ushort)sum) : (ushort)sum;
    }
}
