using Overlay.Daemon;
using Overlay.Deploy.Tests.Support;
using Overlay.TestKit;
using Overlay.TestKit.Packaging;
using Overlay.TestKit.Privileged;

namespace Overlay.Deploy.Tests.Debian;

/// <summary>
/// The .deb tools/package.sh builds (see <see cref="DebianPackage"/>): what dpkg is told, what it installs, and that
/// the binaries inside run on a host with no .NET runtime.
/// </summary>
public class PackageTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    private static readonly string[] s_files =
    [
        "./etc/default/overlayd",
        "./lib/systemd/system/overlayd.service",
        "./usr/bin/overlayctl",
        "./usr/bin/overlayd",
        "./usr/share/doc/overlay/README.Debian",
        "./usr/share/doc/overlay/examples/10-flannel.conflist",
    ];

    [Fact]
    public void Control_names_the_daemons_version_this_architecture_and_no_dotnet_runtime()
    {
        string info = Tools.Run("dpkg-deb", "--info", DebianPackage.Path);
        Assert.Contains(" Package: overlay\n", info, StringComparison.Ordinal);
        Assert.Contains($" Version: {VersionInfo.Version}\n", info, StringComparison.Ordinal);
        Assert.Contains($" Architecture: {Tools.Run("dpkg", "--print-architecture").Trim()}\n", info, StringComparison.Ordinal);
        string depends = info.Split('\n').Single(l => l.StartsWith(" Depends: ", StringComparison.Ordinal));
        Assert.Contains("libc6", depends, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet", depends, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore", depends, StringComparison.Ordinal);
        Assert.Equal(Path.GetFileName(DebianPackage.Path), $"overlay_{VersionInfo.Version}_{Tools.Run("dpkg", "--print-architecture").Trim()}.deb");
    }

    [Fact]
    public void Contents_are_the_two_binaries_the_unit_the_environment_file_and_the_docs_all_owned_by_root()
    {
        // "-rwxr-xr-x root/root 17248232 2026-12-04 17:39 ./usr/bin/overlayd"
        string[][] entries = [.. Tools.Run("dpkg-deb", "--contents", DebianPackage.Path)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
        string[][] files = [.. entries.Where(e => e[0].StartsWith('-'))];
        Assert.Equal(s_files, files.Select(f => f[5]).Order(StringComparer.Ordinal));
        Assert.All(entries, e => Assert.Equal("root/root", e[1]));
        foreach (string[] file in files)
        {
            string expected = file[5].StartsWith("./usr/bin/", StringComparison.Ordinal) ? "-rwxr-xr-x" : "-rw-r--r--";
            Assert.True(file[0] == expected, $"{file[5]} is {file[0]}, expected {expected}");
        }
    }

    [Fact]
    public void The_environment_file_is_a_conffile_so_upgrades_keep_the_administrators_settings()
    {
        string conffiles = Tools.Run("dpkg-deb", "--info", DebianPackage.Path, "conffiles");
        Assert.Equal(["/etc/default/overlayd"], conffiles.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("lib/systemd/system/overlayd.service", "deploy/systemd/overlayd.service")]
    [InlineData("etc/default/overlayd", "deploy/systemd/overlayd.default")]
    [InlineData("usr/share/doc/overlay/examples/10-flannel.conflist", "deploy/cni/10-flannel.conflist")]
    public void Packaged_files_are_the_repositorys_deploy_files(string packaged, string repository) =>
        Assert.Equal(File.ReadAllText(RepositoryFiles.At(repository.Split('/'))), File.ReadAllText(DebianPackage.File(packaged)));

    [Fact]
    public void The_packaged_unit_starts_the_packaged_binary()
    {
        string unit = File.ReadAllText(DebianPackage.File("lib/systemd/system/overlayd.service"));
        Assert.Contains("\nExecStart=/usr/bin/overlayd\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nEnvironmentFile=-/etc/default/overlayd\n", unit, StringComparison.Ordinal);
        Assert.True(File.Exists(DebianPackage.File("usr/bin/overlayd")));
    }

    [Fact]
    public void Systemd_analyze_verifies_the_unit_as_installed_with_its_binary()
    {
        // A root holding the host's units (the targets the unit orders itself against) and the package's files:
        // verify loads the unit as systemd would and checks that ExecStart is executable. Problems it only warns
        // about ("Failed to parse ..., ignoring") still exit 0, so its output must be empty too.
        DirectoryInfo root = Directory.CreateTempSubdirectory("overlay-unit-root-");
        try
        {
            Directory.CreateDirectory(Path.Combine(root.FullName, "lib", "systemd"));
            Tools.Run("cp", "-a", "/lib/systemd/system", Path.Combine(root.FullName, "lib", "systemd"));
            Tools.Run("cp", "-a", DebianPackage.ExtractedRoot + "/.", root.FullName);
            ToolResult verify = Tools.TryRun(s_timeout, "systemd-analyze", "verify", "--man=no", "--root=" + root.FullName, "/lib/systemd/system/overlayd.service");
            Assert.True(verify.ExitCode == 0 && verify.StandardError.Trim().Length == 0 && verify.StandardOutput.Trim().Length == 0,
                $"systemd-analyze verify exited {verify.ExitCode}: {verify.StandardError}{verify.StandardOutput}");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [PrivilegedFact]
    public void Binaries_run_on_a_host_with_no_dotnet_runtime()
    {
        // A private mount namespace in which every place a .NET runtime could be found is an empty directory:
        // a framework-dependent build fails here ("You must install .NET"), a self-contained one prints its version.
        string daemon = DebianPackage.File("usr/bin/overlayd");
        string ctl = DebianPackage.File("usr/bin/overlayctl");
        string script = string.Join("; ",
            "for d in /usr/share/dotnet /usr/lib/dotnet /opt/dotnet /usr/local/share/dotnet; do [ -d $d ] && mount -t tmpfs none $d; done",
            "export DOTNET_ROOT=/nonexistent PATH=/usr/sbin:/usr/bin:/sbin:/bin",
            "if dotnet --list-runtimes 2>/dev/null | grep -q .; then echo 'a .NET runtime is still visible' >&2; exit 9; fi",
            $"'{daemon}' -version && '{ctl}' -h >/dev/null && echo ok");
        ToolResult result = Tools.TryRun(s_timeout, "unshare", "--mount", "--propagation", "private", "sh", "-c", script);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.StandardOutput}{result.StandardError}");
        Assert.Equal([VersionInfo.Version, "ok"], result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
