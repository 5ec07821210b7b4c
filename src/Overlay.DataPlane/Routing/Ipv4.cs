using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Overlay.DataPlane.Routing;

/// <summary>
/// IPv4 addresses as <see cref="uint"/> in host byte order (10.0.0.1 == 0x0A000001).
/// The data plane compares and masks addresses as integers; these helpers convert at the edges.
/// </summary>
public static class Ipv4
{
    public static uint Read(ReadOnlySpan<byte> networkOrder) => BinaryPrimitives.ReadUInt32BigEndian(networkOrder);

    public static void Write(Span<byte> destination, uint address) => BinaryPrimitives.WriteUInt32BigEndian(destination, address);

    public static string Format(uint address) =>
        string.Create(CultureInfo.InvariantCulture, $"{address >> 24}.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}");

    /// <summary>Parses strict dotted-quad text ("10.244.1.0"); no leading zeros, no shorthand forms.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out uint address)
    {
        address = 0;
        int octets = 0;
        while (true)
        {
            int dot = text.IndexOf('.');
            ReadOnlySpan<char> part = dot < 0 ? text : text[..dot];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0'))
            {
                return false;
            }
            int value = 0;
            foreach (char c in part)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }
                value = (value * 10) + (c - '0');
            }
            if (value > 255)
            {
                return false;
            }
            address = (address << 8) | (uint)value;
            octets++;
            if (dot < 0)
            {
                return octets == 4;
            }
            if (octets == 4)
            {
                return false;
            }
            text = text[(dot + 1)..];
        }
    }

    public static uint Parse(string text) =>
        TryParse(text, out uint address) ? address : throw new FormatException($"'{text}' is not a dotted-quad IPv4 address");

    public static bool TryParse([NotNullWhen(true)] string? text, out uint address)
    {
        address = 0;
        return text is not null && TryParse(text.AsSpan(), out address);
    }
}
