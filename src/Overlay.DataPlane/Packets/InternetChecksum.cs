using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Numerics;

namespace Overlay.DataPlane.Packets;

/// <summary>
/// The Internet checksum of RFC 1071: the one's-complement sum of 16-bit big-endian words, an odd final byte padded
/// with zero, complemented. Stateless, allocation-free and thread-safe.
/// </summary>
/// <remarks>
/// The sum is independent of byte order (RFC 1071 §2(B)), so it is accumulated over native-order 64-bit words with
/// add-with-carry (2^64 ≡ 1 mod 0xFFFF, so a carry out of bit 63 is worth one) and folded to 16 bits once at the end;
/// on little-endian machines the folded value is byte-swapped back into network order. Long spans are summed with
/// vector instructions first: each 64-bit lane adds the low and the high 32-bit halves of its words into separate
/// accumulators, which cannot overflow below 2^32 vectors, so no carries need tracking there.
/// </remarks>
public static class InternetChecksum
{
    /// <summary>
    /// The folded one's-complement sum of <paramref name="data"/> as big-endian 16-bit words (not complemented).
    /// Never 0 unless every byte is 0. Sums of separate spans combine with <see cref="Add"/> when each span but the
    /// last has even length.
    /// </summary>
    public static ushort Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        if (data.Length >= VectorThreshold)
        {
            sum = Vector.IsHardwareAccelerated ? SumVectorBlocks(ref data) : 0;
        }
        return SumWords(sum, data);
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/> and returns
    /// <see cref="Sum"/> of it, reading each byte once: where a packet is copied and its checksum is needed as well
    /// (cutting a superpacket, merging segments), this saves the second pass over the data. The spans must not overlap.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static ushort SumAndCopy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException(
                $"The destination ({destination.Length} bytes) is shorter than the source ({source.Length} bytes).", nameof(destination));
        }
        ulong sum = 0;
        if (source.Length >= VectorThreshold && Vector.IsHardwareAccelerated)
        {
            int copied = source.Length - (source.Length % VectorBlockBytes);
            sum = SumAndCopyVectorBlocks(source[..copied], destination);
            source = source[copied..];
            destination = destination[copied..];
        }
        // The blocks end on an even offset, so the tail's words continue the same big-endian word grid.
        source.CopyTo(destination);
        return SumWords(sum, source);
    }

    /// <summary>Adds the words of <paramref name="data"/> to a running 64-bit sum with carries, then folds.</summary>
    private static ushort SumWords(ulong sum, ReadOnlySpan<byte> data)
    {
        ulong carries = 0;
        while (data.Length >= 32)
        {
            ulong a = MemoryMarshal.Read<ulong>(data);
            ulong b = MemoryMarshal.Read<ulong>(data[8..]);
            ulong c = MemoryMarshal.Read<ulong>(data[16..]);
            ulong d = MemoryMarshal.Read<ulong>(data[24..]);
            sum += a;
            carries += sum < a ? 1UL : 0UL;
            sum += b;
            carries += sum < b ? 1UL : 0UL;
            sum += c;
            carries += sum < c ? 1UL : 0UL;
            sum += d;
            carries += sum < d ? 1UL : 0UL;
            data = data[32..];
        }
        while (data.Length >= 8)
        {
            ulong a = MemoryMarshal.Read<ulong>(data);
            sum += a;
            carries += sum < a ? 1UL : 0UL;
            data = data[8..];
        }
        // The tail adds less than 2^32 to a value whose carries are already counted separately.
        ulong tail = 0;
        if (data.Length >= 4)
        {
            tail += MemoryMarshal.Read<uint>(data);
            data = data[4..];
        }
        if (data.Length >= 2)
        {
            tail += MemoryMarshal.Read<ushort>(data);
            data = data[2..];
        }
        if (data.Length == 1)
        {
            // The lone byte is the high half of a zero-padded big-endian word: low half in little-endian order.
            tail += BitConverter.IsLittleEndian ? data[0] : (ulong)data[0] << 8;
        }
        sum += tail;
        carries += sum < tail ? 1UL : 0UL;
        ushort folded = Fold(sum, carries);
        return BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
    }

    /// <summary>One's-complement addition of two folded sums (end-around carry).</summary>
    public static ushort Add(ushort left, ushort right)
    {
        uint sum = (uint)left + right;
        return (ushort)((sum & 0xFFFF) + (sum >> 16));
    }

    /// <summary>The checksum to store in a header field: the complement of <see cref="Sum"/>.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Sum(data);

    /// <summary>
    /// The checksum of <paramref name="data"/> plus an already folded sum of other words, such as a UDP or TCP
    /// pseudo-header.
    /// </summary>
    public static ushort Compute(ReadOnlySpan<byte> data, ushort partialSum) => (ushort)~Add(Sum(data), partialSum);

    /// <summary>True when <paramref name="data"/>, checksum field included, sums to all ones.</summary>
    public static bool IsValid(ReadOnlySpan<byte> data) => Sum(data) == 0xFFFF;

    // Below this the vector set-up and the lane reduction cost more than they save (an IPv4 header is 20 bytes).
    private const int VectorThreshold = 128;

    /// <summary>Bytes consumed per step of <see cref="SumVectorBlocks"/>: two of the machine's vectors (64 with AVX2).</summary>
    internal static int VectorBlockBytes => 2 * Vector<byte>.Count;

    /// <summary>
    /// Sums the whole <see cref="VectorBlockBytes"/>-byte blocks of <paramref name="data"/> as 32-bit words, in the
    /// machine's widest accelerated vectors, and slices them off.
    /// </summary>
    internal static ulong SumVectorBlocks(ref ReadOnlySpan<byte> data)
    {
        ref byte start = ref MemoryMarshal.GetReference(data);
        int width = Vector<byte>.Count;
        nuint blocks = (nuint)(data.Length / (2 * width));
        var lanes = new LaneSums();
        for (nuint i = 0; i < blocks; i++)
        {
            nuint offset = i * (nuint)(2 * width);
            lanes.Add(Vector.LoadUnsafe(ref start, offset), Vector.LoadUnsafe(ref start, offset + (nuint)width));
        }
        data = data[(int)(blocks * (nuint)(2 * width))..];
        return lanes.Total;
    }

    /// <summary>
    /// <see cref="SumVectorBlocks"/> over <paramref name="source"/>, whose length is a multiple of
    /// <see cref="VectorBlockBytes"/>, storing each vector into <paramref name="destination"/> as it is summed.
    /// </summary>
    private static ulong SumAndCopyVectorBlocks(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ref byte from = ref MemoryMarshal.GetReference(source);
        ref byte to = ref MemoryMarshal.GetReference(destination);
        int width = Vector<byte>.Count;
        nuint blocks = (nuint)(source.Length / (2 * width));
        var lanes = new LaneSums();
        for (nuint i = 0; i < blocks; i++)
        {
            nuint offset = i * (nuint)(2 * width);
            Vector<byte> a = Vector.LoadUnsafe(ref from, offset);
            Vector<byte> b = Vector.LoadUnsafe(ref from, offset + (nuint)width);
            a.StoreUnsafe(ref to, offset);
            b.StoreUnsafe(ref to, offset + (nuint)width);
            lanes.Add(a, b);
        }
        return lanes.Total;
    }

    /// <summary>
    /// Per 64-bit lane, the low and the high 32-bit halves of every word summed apart, over two independent vector
    /// streams (so consecutive adds do not wait on each other).
    /// </summary>
    private struct LaneSums
    {
        private Vector<ulong> _lowA, _highA, _lowB, _highB;

        public void Add(Vector<byte> first, Vector<byte> second)
        {
            var low32 = new Vector<ulong>(0xFFFF_FFFFUL);
            Vector<ulong> a = Vector.AsVectorUInt64(first);
            Vector<ulong> b = Vector.AsVectorUInt64(second);
            _lowA += a & low32;
            _highA += Vector.ShiftRightLogical(a, 32);
            _lowB += b & low32;
            _highB += Vector.ShiftRightLogical(b, 32);
        }

        // Each lane is below 2^32 times the block count, so the sum of all lanes fits easily in 64 bits for any span
        // a Span can describe.
        public readonly ulong Total => Vector.Sum(_lowA + _highA + _lowB + _highB);
    }

    private static ushort Fold(ulong sum, ulong carries)
    {
        // carries counts overflows out of bit 63, each worth one; it is at most data.Length / 8, far below 2^63.
        sum += carries;
        ulong extra = sum < carries ? 1UL : 0UL;
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32) + extra;
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }
}
