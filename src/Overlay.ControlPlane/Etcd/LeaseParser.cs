using System.Diagnostics.CodeAnalysis;

namespace Overlay.ControlPlane.Etcd;

/// <summary>Turns a raw Put under <c>subnets/</c> into a <see cref="SubnetLease"/>, or says why it cannot.</summary>
public static class LeaseParser
{
    public static bool TryParse(KeyEvent entry, [NotNullWhen(true)] out SubnetLease? lease, [NotNullWhen(false)] out string? problem)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lease = null;
        if (!SubnetKey.TryParse(entry.Key, out ParsedSubnetKey parsed))
        {
            problem = "the key is not a subnet key (a.b.c.d-len)";
            return false;
        }
        if (!LeaseAttributes.TryParse(entry.Value.Span, out LeaseAttributes? attributes, out string? error))
        {
            problem = $"the value is not lease JSON: {error}";
            return false;
        }
        lease = new SubnetLease(entry.Key, parsed, attributes!, entry.EtcdLeaseId, entry.ModRevision);
        problem = null;
        return true;
    }
}
