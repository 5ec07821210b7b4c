using Overlay.Linux.Masquerade;

namespace Overlay.Linux.Tests.Masquerade;

public sealed class FixHintsTests
{
    [Theory]
    [InlineData("iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)", "CAP_NET_ADMIN")]
    [InlineData("Another app is currently holding the xtables lock. Stopped waiting after 5s.", "xtables.lock")]
    [InlineData("iptables v1.8.9: can't initialize iptables table `nat': Table does not exist", "modprobe")]
    [InlineData("chain `FLANNEL-POSTRTG' in table `nat' is incompatible, use 'nft' tool.", "other tool")]
    [InlineData("something nobody expected", "run the command by hand")]
    public void Failures_map_to_the_remedy_their_stderr_points_at(string stderr, string expectedHint)
    {
        string fix = FixHints.ForFailure(new CommandResult("iptables -t nat -C X", 1, "", stderr));

        Assert.Contains(expectedHint, fix, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_binary_names_the_package_that_provides_it()
    {
        Assert.Contains("install the iptables package", FixHints.ForMissingProgram("/usr/sbin/iptables"), StringComparison.Ordinal);
        Assert.Contains("install the nftables package", FixHints.ForMissingProgram("nft"), StringComparison.Ordinal);
    }
}
