using Overlay.TestKit.Namespaces;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// Leases written with etcdctl exactly as flanneld's udp backend writes them. The lab's daemons are confined to
/// 10.244.1.0-10.244.99.0 so that a hand-written lease (10.244.100.0 and up) can never overwrite a daemon's own.
/// </summary>
internal static class HandWrittenLeases
{
    /// <summary>The lab's default network, with SubnetMax keeping the daemons' own subnets below 10.244.100.0.</summary>
    public const string ConfinedConfig = """{"Network":"10.244.0.0/16","SubnetMax":"10.244.99.0","Backend":{"Type":"udp"}}""";

    /// <summary>Host 3 in the fault labs: a bare machine without overlayd, so what reaches it counts as UDP NoPorts.</summary>
    public const int BareHost = 2;

    public static string BareHostAddress => Underlay.HostAddress(BareHost);

    /// <summary>Call before starting any daemon.</summary>
    public static void ConfineDaemons(OverlayLab lab) => lab.Etcd.Etcdctl("put", OverlayLab.Prefix + "/config", ConfinedConfig);

    /// <summary>The key of 10.244.<paramref name="thirdOctet"/>.0/24.</summary>
    public static string Key(int thirdOctet) => $"{OverlayLab.Prefix}/subnets/10.244.{thirdOctet}.0-24";

    /// <summary>The lease value flanneld writes, byte for byte.</summary>
    public static string Value(string publicIp) => $$"""{"PublicIP":"{{publicIp}}","PublicIPv6":null}""";

    /// <summary>An address inside 10.244.<paramref name="thirdOctet"/>.0/24 to send probes to.</summary>
    public static string ProbeAddress(int thirdOctet) => $"10.244.{thirdOctet}.1";

    public static void Put(OverlayLab lab, int thirdOctet, string publicIp, string? etcdLeaseId = null)
    {
        if (etcdLeaseId is null)
        {
            lab.Etcd.Etcdctl("put", Key(thirdOctet), Value(publicIp));
        }
        else
        {
            lab.Etcd.Etcdctl("put", "--lease=" + etcdLeaseId, Key(thirdOctet), Value(publicIp));
        }
    }

    public static void Delete(OverlayLab lab, int thirdOctet) => lab.Etcd.Etcdctl("del", Key(thirdOctet));

    /// <summary>The third octets of every 10.244.x.0/24 lease key present in etcd now.</summary>
    public static IReadOnlySet<int> Present(OverlayLab lab)
    {
        string keys = lab.Etcd.Etcdctl("get", "--prefix", "--keys-only", OverlayLab.Prefix + "/subnets/");
        var octets = new HashSet<int>();
        foreach (string key in keys.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = key[(key.LastIndexOf('/') + 1)..].Split('.');
            octets.Add(int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        return octets;
    }
}
