namespace Overlay.Linux.Masquerade;

/// <summary>Turns a failed iptables/nft run into the remedy an operator most likely needs.</summary>
internal static class FixHints
{
    public static string ForMissingProgram(string program) => Path.GetFileName(program) switch
    {
        "nft" => "install the nftables package (Debian/Ubuntu: apt-get install nftables)",
        "ip" => "install the iproute2 package, which provides 'ip netns exec'",
        _ => "install the iptables package (Debian/Ubuntu: apt-get install iptables), or enable nftables mode",
    };

    public static string ForFailure(CommandResult result)
    {
        string error = result.StandardError;
        if (Contains(error, "Permission denied") || Contains(error, "Operation not permitted") || Contains(error, "you must be root"))
        {
            return "run the daemon as root or grant it CAP_NET_ADMIN (and CAP_NET_RAW)";
        }
        if (Contains(error, "Resource temporarily unavailable") || Contains(error, "xtables lock"))
        {
            return "another program holds the xtables lock; retry, or find it with 'fuser /run/xtables.lock'";
        }
        if (Contains(error, "Table does not exist") || Contains(error, "can't initialize") || Contains(error, "Could not process rule")
            || Contains(error, "No such file or directory"))
        {
            return "the kernel lacks a netfilter module; load it (modprobe nf_tables nft_chain_nat nf_nat xt_MASQUERADE xt_comment xt_mark)";
        }
        if (Contains(error, "incompatible"))
        {
            return "the chain was created by a different iptables backend; remove it with the other tool (iptables-legacy or nft) and restart";
        }
        if (Contains(error, "random-fully") || Contains(error, "fully-random"))
        {
            return "this iptables/kernel lacks fully-random masquerading; start with -ip-masq-fully-random-disable";
        }
        return "run the command by hand to see the full error; check the kernel's netfilter NAT support and the iptables/nftables packages";
    }

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}
