using System.Xml.Linq;
using Overlay.Deploy.Tests.Support;

namespace Overlay.Deploy.Tests.Container;

/// <summary>The daemon image: built from the daemon project that exists, run on a runtime image that can run it.</summary>
public class DockerfileTests
{
    private static readonly IReadOnlyList<DockerInstruction> s_instructions =
        DockerfileParser.Parse(File.ReadAllText(RepositoryFiles.Dockerfile));

    private static readonly XDocument s_daemonProject =
        XDocument.Load(Path.Combine(RepositoryFiles.DaemonProjectDirectory, "Overlay.Daemon.csproj"));

    [Fact]
    public void Publish_command_names_the_daemon_project_that_exists()
    {
        DockerInstruction publish = Assert.Single(s_instructions, i =>
            i.Keyword == "RUN" && i.Arguments is ["dotnet", "publish", ..]);
        Assert.True(publish.IsExecForm, "RUN dotnet publish should be exec form: no shell between Docker and the SDK");

        string project = publish.Arguments.Skip(2).First(a => !a.StartsWith('-'));
        string projectDirectory = RepositoryFiles.At(project.Split('/'));
        Assert.True(Directory.Exists(projectDirectory), $"{project} is not a directory of the repository");
        Assert.Equal(Path.GetFullPath(RepositoryFiles.DaemonProjectDirectory).TrimEnd('/'), Path.GetFullPath(projectDirectory).TrimEnd('/'));
        Assert.Single(Directory.GetFiles(projectDirectory, "*.csproj"));

        Assert.Equal("Release", ValueAfter(publish.Arguments, "-c"));
        Assert.Equal("/out", ValueAfter(publish.Arguments, "-o"));
    }

    [Fact]
    public void Every_copied_source_exists_in_the_repository()
    {
        IEnumerable<DockerInstruction> fromContext = s_instructions.Where(i =>
            i.Keyword == "COPY" && !i.Arguments.Any(a => a.StartsWith("--from=", StringComparison.Ordinal)));
        Assert.NotEmpty(fromContext);
        Assert.All(fromContext, copy => Assert.All(copy.Arguments.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).SkipLast(1),
            source => Assert.True(Path.Exists(RepositoryFiles.At(source.TrimEnd('/').Split('/'))), $"COPY source {source} is not in the repository")));
    }

    [Fact]
    public void Images_match_the_target_framework_and_the_native_binary_runs_on_runtime_deps_of_the_same_release()
    {
        string[] images = s_instructions.Where(i => i.Keyword == "FROM").Select(i => i.Arguments[0]).ToArray();
        Assert.Equal(2, images.Length);

        string framework = TargetFramework();
        Assert.StartsWith("net", framework, StringComparison.Ordinal);
        string tag = framework["net".Length..];
        Assert.StartsWith($"mcr.microsoft.com/dotnet/sdk:{tag}-", images[0], StringComparison.Ordinal);
        string release = images[0].Split(':')[1][(tag.Length + 1)..];

        // A Native AOT overlayd carries its runtime: runtime-deps (the C library, OpenSSL, CA certificates) is all it
        // needs, in its distroless ("chiseled") form, on the release it was linked on. A framework-dependent one
        // would need the ASP.NET Core runtime image instead.
        Assert.Equal("true", (string?)s_daemonProject.Descendants("PublishAot").SingleOrDefault());
        Assert.Equal($"mcr.microsoft.com/dotnet/runtime-deps:{tag}-{release}-chiseled", images[1]);
    }

    [Fact]
    public void The_build_stage_installs_the_native_toolchain_before_publishing()
    {
        int toolchain = s_instructions.ToList().FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("clang"));
        int publish = s_instructions.ToList().FindIndex(i => i.Keyword == "RUN" && i.Arguments is ["dotnet", "publish", ..]);
        Assert.InRange(toolchain, 1, publish - 1);
    }

    [Fact]
    public void Entrypoint_runs_the_published_daemon_executable_directly()
    {
        DockerInstruction entrypoint = Assert.Single(s_instructions, i => i.Keyword == "ENTRYPOINT");
        Assert.True(entrypoint.IsExecForm, "ENTRYPOINT in shell form would run overlayd under /bin/sh, which swallows SIGTERM");
        string assemblyName = (string?)s_daemonProject.Descendants("AssemblyName").SingleOrDefault() ?? "Overlay.Daemon";
        Assert.Equal([$"/app/{assemblyName}"], entrypoint.Arguments);

        // The final stage puts the published executable, and only it (not its .dbg symbols), at /app.
        int finalStage = s_instructions.Select((i, index) => (i, index)).Last(p => p.i.Keyword == "FROM").index;
        IEnumerable<DockerInstruction> finalInstructions = s_instructions.Skip(finalStage);
        Assert.Contains(finalInstructions, i => i.Keyword == "WORKDIR" && i.Arguments is ["/app"]);
        DockerInstruction copy = Assert.Single(finalInstructions, i => i.Keyword == "COPY");
        Assert.StartsWith("--from=", copy.Arguments[0], StringComparison.Ordinal);
        Assert.Equal([$"/out/{assemblyName}", "./"], copy.Arguments.Skip(1));
    }

    private static string TargetFramework()
    {
        XDocument props = XDocument.Load(RepositoryFiles.At("Directory.Build.props"));
        return (string?)s_daemonProject.Descendants("TargetFramework").SingleOrDefault()
            ?? (string?)props.Descendants("TargetFramework").Single()
            ?? throw new InvalidDataException("no TargetFramework in the daemon project or Directory.Build.props");
    }

    private static string ValueAfter(IReadOnlyList<string> words, string option)
    {
        int index = words.ToList().IndexOf(option);
        Assert.InRange(index, 0, words.Count - 2);
        return words[index + 1];
    }
}
