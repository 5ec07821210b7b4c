namespace Overlay.Deploy.Tests.Support;

/// <summary>Paths of the files under test, found by walking up from the test assembly to the solution root.</summary>
internal static class RepositoryFiles
{
    private static readonly Lazy<string> s_root = new(FindRoot);

    public static string Root => s_root.Value;

    public static string KubernetesManifest => At("deploy", "kubernetes", "overlay.yaml");

    public static string Dockerfile => At("deploy", "container", "Dockerfile");

    public static string SystemdUnit => At("deploy", "systemd", "overlayd.service");

    public static string EnvironmentFile => At("deploy", "systemd", "overlayd.default");

    public static string DaemonProjectDirectory => At("src", "Overlay.Daemon");

    public static string At(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Overlay.sln")))
            {
                return directory.FullName;
            }
        }
        throw new DirectoryNotFoundException($"no Overlay.sln above {AppContext.BaseDirectory}: run the tests from inside the repository");
    }
}
