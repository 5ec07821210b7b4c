using System.Globalization;

namespace Overlay.DataPlane.Routing;

/// <summary>An IPv4 network: address (host byte order, host bits zero) and prefix length 0..32.</summary>
public readonly record struct Ipv4Subnet
{
    public Ipv4Subnet(uint network, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        PrefixLength = prefixLength;
        Network = network & MaskOf(prefixLength);
    }

    public uint Network { get; }

    public int PrefixLength { get; }

    public uint Mask => MaskOf(PrefixLength);

    /// <summary>Number of addresses in the subnet (2^(32-len)), as a 64-bit value so /0 fits.</summary>
    public ulong Size => 1UL << (32 - PrefixLength);

    /// <summary>The first address after the network address (flannel's FLANNEL_SUBNET host part).</summary>
    public uint FirstHost => Network + 1;

    public static uint MaskOf(int prefixLength) => prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);

    public bool Contains(uint address) => (address & Mask) == Network;

    /// <summary>True when the two networks share any address.</summary>
    public bool Overlaps(Ipv4Subnet other)
    {
        int shorter = Math.Min(PrefixLength, other.PrefixLength);
        uint mask = MaskOf(shorter);
        return (Network & mask) == (other.Network & mask);
    }

    /// <summary>Parses "a.b.c.d/len"; host bits are cleared, as Go's net.ParseCIDR does.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Ipv4Subnet subnet)
    {
        subnet = default;
        int slash = text.IndexOf('/');
        if (slash < 0 || !Ipv4.TryParse(text[..slash], out uint address))
        {
            return false;
        }
        ReadOnlySpan<char> len = text[(slash + 1)..];
        if (len.Length is 0 or > 2 || (len.Length > 1 && len[0] == '0') ||
            !int.TryParse(len, NumberStyles.None, CultureInfo.InvariantCulture, out int prefix) || prefix > 32)
        {
            return false;
        }
        subnet = new Ipv4Subnet(address, prefix);
        return true;
    }

    public static Ipv4Subnet Parse(string text) =>
        TryParse(text, out Ipv4Subnet subnet) ? subnet : throw new FormatException($"'{text}' is not an IPv4 CIDR (a.b.c.d/len)");

    public override string ToString() => $"{Ipv4.Format(Network)}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";
}
