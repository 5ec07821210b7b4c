namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// Bad flag values end overlayd before it touches anything. A value of the right type that is out of range or
/// unusable exits 1 with one line naming the flag; a value that does not even parse as the flag's type exits 2 with
/// usage, as Go's flag package (and so flanneld) does.
/// </summary>
public sealed class BadFlagTests
{
    /// <summary>Given first so no case ever reaches for a real etcd; a case's own -etcd-endpoints wins (the last one does).</summary>
    private const string UnreachableEtcd = "-etcd-endpoints=http://127.0.0.1:1";

    [Theory]
    [InlineData("subnet-lease-renew-margin", "-subnet-lease-renew-margin=0")]
    [InlineData("subnet-lease-renew-margin", "-subnet-lease-renew-margin=1440")]
    [InlineData("public-ip", "-public-ip=198.18.0.300")]
    [InlineData("public-ip", "-public-ip=fd00::1")]
    [InlineData("healthz-ip", "-healthz-ip=localhost")]
    [InlineData("healthz-port", "-healthz-port=65536")]
    [InlineData("healthz-port", "-healthz-port=-1")]
    [InlineData("etcd-endpoints", "-etcd-endpoints=127.0.0.1:2379")]
    [InlineData("etcd-endpoints", "-etcd-endpoints=ftp://127.0.0.1:2379")]
    [InlineData("etcd-endpoints", "-etcd-endpoints=,")]
    [InlineData("iface-regex", "-iface-regex=[")]
    [InlineData("iface", "-iface=ovt-no-such0")]
    [InlineData("iptables-resync", "-iptables-resync=0")]
    public void An_unusable_value_exits_1_with_one_line_naming_the_flag(string flag, string argument)
    {
        (int exitCode, string output) = DaemonProcess.RunToExit(UnreachableEtcd, argument);
        Assert.True(exitCode == 1, $"{argument}: exit {exitCode}, expected 1:\n{output}");
        string[] naming = [.. Lines(output).Where(l => l.Contains("-" + flag, StringComparison.Ordinal))];
        Assert.True(naming.Length == 1, $"{argument}: expected one line naming -{flag}:\n{output}");
        Assert.DoesNotContain("Usage:", output);
    }

    [Theory]
    [InlineData("healthz-port", "-healthz-port=abc")]
    [InlineData("subnet-lease-renew-margin", "-subnet-lease-renew-margin=ten")]
    [InlineData("ip-masq", "-ip-masq=maybe")]
    [InlineData("v", "-v=high")]
    public void A_value_of_the_wrong_type_exits_2_naming_the_flag_then_usage(string flag, string argument)
    {
        (int exitCode, string output) = DaemonProcess.RunToExit(UnreachableEtcd, argument);
        Assert.True(exitCode == 2, $"{argument}: exit {exitCode}, expected 2:\n{output}");
        string first = Lines(output)[0];
        Assert.Contains("-" + flag, first);
        Assert.Contains("Usage:", output);
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
