using System.Text.RegularExpressions;
using Overlay.Daemon.Options;
using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Debian;

/// <summary>
/// deploy/systemd/overlayd.default, installed as /etc/default/overlayd: every flag as its FLANNELD_* variable with
/// its default, commented out, checked against overlayd's own flag table and parser.
/// </summary>
public partial class EnvironmentFileTests
{
    private static readonly IReadOnlyList<(string Name, string Value)> s_variables = [.. File.ReadAllLines(RepositoryFiles.EnvironmentFile)
        .Select(line => CommentedVariable().Match(line))
        .Where(m => m.Success)
        .Select(m => (m.Groups[1].Value, m.Groups[2].Value))];

    [Fact]
    public void Every_flag_but_version_is_listed_once_with_its_default()
    {
        IReadOnlyList<FlagDefinition> flags = [.. DaemonFlags.Create().Definitions.Where(d => d.Name != "version")];
        Assert.Equal(flags.Select(f => f.EnvironmentName).Order(), s_variables.Select(v => v.Name).Order());
        foreach (FlagDefinition flag in flags)
        {
            string listed = s_variables.Single(v => v.Name == flag.EnvironmentName).Value;
            Assert.True(listed == (flag.DefaultText ?? ""), $"{flag.EnvironmentName}={listed} but -{flag.Name} defaults to '{flag.DefaultText}'");
        }
    }

    [Fact]
    public void Nothing_is_set_until_the_administrator_sets_it()
    {
        string[] active = [.. File.ReadAllLines(RepositoryFiles.EnvironmentFile).Where(l => l.Length > 0 && !l.StartsWith('#'))];
        Assert.Empty(active);
    }

    [Fact]
    public void Overlayd_accepts_the_file_with_every_line_uncommented()
    {
        Dictionary<string, string> environment = s_variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        DaemonOptions options = DaemonOptions.Parse([], name => environment.GetValueOrDefault(name));
        Assert.Equal(DaemonFlags.DefaultEtcdPrefix, options.EtcdPrefix);
        Assert.Equal(DaemonFlags.DefaultEtcdEndpoints.Split(','), options.EtcdEndpoints);
    }

    [GeneratedRegex("^#(FLANNELD_[A-Z0-9_]+)=(.*)$")]
    private static partial Regex CommentedVariable();
}
