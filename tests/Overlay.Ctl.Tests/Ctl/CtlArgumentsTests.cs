using Overlay.Ctl.Commands;

namespace Overlay.Ctl.Tests.Ctl;

public class CtlArgumentsTests
{
    private static readonly Func<string, string?> s_noEnvironment = _ => null;

    [Fact]
    public void FlagsMayComeBeforeOrAfterTheCommandInFlanneldForms()
    {
        CtlArguments parsed = CtlArguments.Parse(
            ["-socket", "/var/run/overlay/a.sock", "capture", "--c=5", "-w", "out.pcap", "-etcd-prefix=/x/network"], s_noEnvironment);
        Assert.Equal("capture", parsed.Command);
        Assert.Equal("/var/run/overlay/a.sock", parsed.SocketPath);
        Assert.Equal(5, parsed.Count);
        Assert.Equal("out.pcap", parsed.WritePath);
        Assert.Equal("/x/network", parsed.EtcdPrefix);
        Assert.Null(parsed.EtcdEndpoints);
    }

    [Fact]
    public void DefaultsMatchTheDaemonAndFlanneldEnvironmentFillsEtcd()
    {
        var environment = new Dictionary<string, string> { ["FLANNELD_ETCD_ENDPOINTS"] = "http://198.18.0.1:2379" };
        CtlArguments parsed = CtlArguments.Parse(["routes"], k => environment.GetValueOrDefault(k));
        Assert.Equal(CtlArguments.DefaultSocketPath, parsed.SocketPath);
        Assert.Equal("http://198.18.0.1:2379", parsed.EtcdEndpoints);
        Assert.Equal(CtlArguments.DefaultEtcdPrefix, parsed.EtcdPrefix);
        Assert.Equal("-", parsed.WritePath);
    }

    [Fact]
    public void StatsPrintsATableUnlessAskedForJson()
    {
        Assert.Equal(StatsFormat.Table, CtlArguments.Parse(["stats"], s_noEnvironment).Format);
        Assert.Equal(StatsFormat.Json, CtlArguments.Parse(["stats", "-o", "json"], s_noEnvironment).Format);
        Assert.Equal(StatsFormat.Json, CtlArguments.Parse(["-o=json", "stats", "-c", "2"], s_noEnvironment).Format);
    }

    [Theory]
    [InlineData(new string[0], "no command")]
    [InlineData(new[] { "frobnicate" }, "unknown command")]
    [InlineData(new[] { "routes", "stats" }, "unexpected argument")]
    [InlineData(new[] { "routes", "-c", "3" }, "-c applies")]
    [InlineData(new[] { "stats", "-w", "f" }, "-w applies")]
    [InlineData(new[] { "capture", "-c" }, "needs a value")]
    [InlineData(new[] { "routes", "-o", "json" }, "-o applies to stats")]
    [InlineData(new[] { "stats", "-o", "yaml" }, "use -o table (the default) or -o json")]
    [InlineData(new[] { "capture", "-c", "x" }, "not a non-negative number")]
    [InlineData(new[] { "routes", "-bogus", "1" }, "unknown flag")]
    public void BadCommandLinesSayWhy(string[] args, string reason)
    {
        UsageException e = Assert.Throws<UsageException>(() => CtlArguments.Parse(args, s_noEnvironment));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PcapRecordCounterCountsRecordsFedInOddPieces()
    {
        byte[] stream = new byte[24 + (16 + 3) + (16 + 40)];
        stream[24 + 8] = 3;
        stream[24 + 16 + 3 + 8] = 40;
        var counter = new PcapRecordCounter();
        for (int i = 0; i < stream.Length; i += 7)
        {
            counter.Observe(stream.AsSpan(i, Math.Min(7, stream.Length - i)));
        }
        Assert.Equal(2, counter.Records);
    }
}
