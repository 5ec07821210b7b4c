namespace Overlay.Linux.Tests.Support;

/// <summary>Deterministic, position- and packet-dependent bytes, so a reordered or corrupted datagram cannot pass.</summary>
internal static class Payloads
{
    public static void Fill(Span<byte> target, int packetNumber)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = (byte)((i * 31) + (packetNumber * 7) + 1);
        }
    }

    public static byte[] Create(int length, int packetNumber)
    {
        var bytes = new byte[length];
        Fill(bytes, packetNumber);
        return bytes;
    }
}
