namespace Overlay.Linux.Tests;

/// <summary>The br_netfilter probe reads the sysctl the module creates, under a given /proc/sys.</summary>
public sealed class SysctlTests : IDisposable
{
    private readonly DirectoryInfo _procSys = Directory.CreateTempSubdirectory("procsys-");

    [Fact]
    public void BridgeNetfilterCountsAsLoadedOnlyWhenItsSysctlExists()
    {
        Assert.False(Sysctl.BridgeNetfilterLoaded(_procSys.FullName));
        Directory.CreateDirectory(Path.Combine(_procSys.FullName, "net", "bridge"));
        Assert.False(Sysctl.BridgeNetfilterLoaded(_procSys.FullName));

        File.WriteAllText(Path.Combine(_procSys.FullName, "net", "bridge", "bridge-nf-call-iptables"), "1\n");

        Assert.True(Sysctl.BridgeNetfilterLoaded(_procSys.FullName));
    }

    public void Dispose() => _procSys.Delete(recursive: true);
}
