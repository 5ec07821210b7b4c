namespace Overlay.IntegrationTests;

/// <summary>The published daemon's exit codes and messages for the command line, as flanneld behaves.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public void Unknown_flag_prints_usage_and_exits_2()
    {
        (int exitCode, string output) = DaemonProcess.RunToExit("-no-such-flag");
        Assert.Equal(2, exitCode);
        Assert.Contains("flag provided but not defined: -no-such-flag", output);
        Assert.Contains("-etcd-endpoints", output);
    }

    [Fact]
    public void Help_prints_usage_and_exits_0()
    {
        (int exitCode, string output) = DaemonProcess.RunToExit("-h");
        Assert.Equal(0, exitCode);
        Assert.Contains("-subnet-lease-renew-margin", output);
    }

    [Fact]
    public void Version_prints_and_exits_0()
    {
        (int exitCode, string output) = DaemonProcess.RunToExit("-version");
        Assert.Equal(0, exitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", output.Trim());
    }

    [Fact]
    public void A_bad_flag_value_names_the_flag_and_exits_1()
    {
        (int exitCode, string output) = DaemonProcess.RunToExit("-subnet-lease-renew-margin=2000");
        Assert.Equal(1, exitCode);
        Assert.Contains("-subnet-lease-renew-margin", output);
        Assert.Contains("1 to 1439", output);
    }

    [Fact]
    public void A_cpu_this_machine_cannot_run_on_stops_the_daemon_before_it_starts()
    {
        // Syntactically fine, but no CPU 1000 here: refused up front, naming the CPUs that may be used.
        (int exitCode, string output) = DaemonProcess.RunToExit("-cpus=1000");
        Assert.Equal(1, exitCode);
        Assert.Contains("-cpus names CPU 1000", output);
        Assert.Contains("may run on", output);
    }

    [Theory]
    [InlineData("-etcd-certfile=/etc/etcd/client.pem")]
    [InlineData("-etcd-keyfile=/etc/etcd/client-key.pem")]
    public void A_client_certificate_without_its_key_or_the_reverse_names_both_flags_and_exits_1(string flag)
    {
        (int exitCode, string output) = DaemonProcess.RunToExit("-etcd-endpoints=https://127.0.0.1:2379", flag);
        Assert.Equal(1, exitCode);
        Assert.Contains("-etcd-certfile", output);
        Assert.Contains("-etcd-keyfile", output);
        Assert.Contains("needs both", output);
    }

    [Fact]
    public void Mixed_http_and_https_endpoints_are_refused_with_exit_1()
    {
        (int exitCode, string output) = DaemonProcess.RunToExit("-etcd-endpoints=https://127.0.0.1:2379,http://127.0.0.1:4001");
        Assert.Equal(1, exitCode);
        Assert.Contains("-etcd-endpoints mixes plain text (http://127.0.0.1:4001) and TLS (https://127.0.0.1:2379)", output);
    }
}
