namespace Overlay.Linux;

/// <summary>Per-interface IPv4 settings under /proc/sys, which apply to the calling thread's network namespace.</summary>
public static class Sysctl
{
    /// <summary>
    /// Lets the interface receive packets whose source is an address of this host. The ICMP net-unreachable reply
    /// flannel writes into the TUN comes from the TUN's own address, which the kernel otherwise drops as a martian,
    /// so the sender would never see it.
    /// </summary>
    public static void AcceptLocal(string interfaceName) =>
        File.WriteAllText($"/proc/sys/net/ipv4/conf/{interfaceName}/accept_local", "1");
}
