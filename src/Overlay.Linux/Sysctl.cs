namespace Overlay.Linux;

/// <summary>Settings under /proc/sys, which apply to the calling thread's network namespace.</summary>
public static class Sysctl
{
    /// <summary>
    /// Lets the interface receive packets whose source is an address of this host. The ICMP net-unreachable reply
    /// flannel writes into the TUN comes from the TUN's own address, which the kernel otherwise drops as a martian,
    /// so the sender would never see it.
    /// </summary>
    public static void AcceptLocal(string interfaceName) =>
        File.WriteAllText($"/proc/sys/net/ipv4/conf/{interfaceName}/accept_local", "1");

    /// <summary>
    /// True when the br_netfilter module is loaded, so that traffic bridged between local pods passes through
    /// iptables (its sysctl exists only then). <paramref name="procSys"/> is for tests.
    /// </summary>
    public static bool BridgeNetfilterLoaded(string procSys = "/proc/sys") =>
        File.Exists(Path.Combine(procSys, "net", "bridge", "bridge-nf-call-iptables"));
}
