using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// flannel's subnet keys: <c>&lt;prefix&gt;/subnets/a.b.c.d-len</c> (optionally <c>&amp;ipv6-len6</c>). Built with Go
/// path-join rules and parsed with flannel's own regular expression, anchored at the end of the key only.
/// Stateless and thread-safe.
/// </summary>
public static partial class SubnetKey
{
    /// <summary>flannel's pattern, kept as written (including its unescaped dots); <c>\d</c> is ASCII in Go.</summary>
    [GeneratedRegex(@"([0-9]+\.[0-9]+.[0-9]+.[0-9]+)-([0-9]+)(?:&([a-f0-9:]+)-([0-9]+))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static string ConfigKey(string prefix) => EtcdPath.Join(prefix, "config");

    /// <summary>The directory all leases live under, without a trailing slash (flannel ranges over this prefix).</summary>
    public static string SubnetsPrefix(string prefix) => EtcdPath.Join(prefix, "subnets");

    /// <summary>The last path element for an IPv4-only lease, e.g. "10.244.91.0-24".</summary>
    public static string Name(Ipv4Subnet subnet) =>
        $"{Ipv4.Format(subnet.Network)}-{subnet.PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public static string Build(string prefix, Ipv4Subnet subnet) => EtcdPath.Join(prefix, "subnets", Name(subnet));

    /// <summary>Parses any key flannel would accept as a subnet key; false means "not a subnet".</summary>
    public static bool TryParse(string key, out ParsedSubnetKey parsed)
    {
        ArgumentNullException.ThrowIfNull(key);
        parsed = default;
        Match match = Pattern().Match(key);
        if (!match.Success || !Ipv4.TryParse(match.Groups[1].ValueSpan, out uint address) ||
            !TryParseLength(match.Groups[2].ValueSpan, 31, out int length))
        {
            return false;
        }
        string? ipv6 = null;
        if (match.Groups[3].Success)
        {
            if (!IPAddress.TryParse(match.Groups[3].ValueSpan, out IPAddress? address6) ||
                address6.AddressFamily != AddressFamily.InterNetworkV6 ||
                !TryParseLength(match.Groups[4].ValueSpan, 127, out int length6))
            {
                return false;
            }
            ipv6 = $"{address6}/{length6.ToString(CultureInfo.InvariantCulture)}";
        }
        var subnet = new Ipv4Subnet(address, length);
        bool canonical = subnet.Network == address && match.Groups[2].Length == (length < 10 ? 1 : 2);
        parsed = new ParsedSubnetKey(subnet, canonical, ipv6);
        return true;
    }

    // strconv.ParseUint(s, 10, bits): leading zeros are fine, the value must fit the bit size.
    private static bool TryParseLength(ReadOnlySpan<char> text, int max, out int length)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out length) && length <= max)
        {
            return true;
        }
        length = 0;
        return false;
    }
}
