namespace Overlay.TestKit.Packaging;

/// <summary>
/// The Debian package tools/package.sh builds, for the tests that check it and run its binaries. tools/test.sh
/// builds it once and passes it in <c>OVERLAY_PACKAGE</c>; without that variable the first test that asks builds
/// it into a temporary directory (a Native AOT compile of two executables: minutes on a small machine), once per
/// test process.
/// </summary>
public static class DebianPackage
{
    public const string Variable = "OVERLAY_PACKAGE";

    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(30);

    private static readonly Lazy<string> s_path = new(Locate);

    private static readonly Lazy<string> s_extracted = new(Extract);

    /// <summary>The .deb file.</summary>
    public static string Path => s_path.Value;

    /// <summary>A directory holding the package's files as dpkg would install them (usr/bin/overlayd, ...).</summary>
    public static string ExtractedRoot => s_extracted.Value;

    public static string RepositoryRoot
    {
        get
        {
            for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (System.IO.File.Exists(System.IO.Path.Combine(directory.FullName, "Overlay.sln")))
                {
                    return directory.FullName;
                }
            }
            throw new DirectoryNotFoundException($"no Overlay.sln above {AppContext.BaseDirectory}: run the tests from inside the repository");
        }
    }

    /// <summary>A file of the extracted package, e.g. <c>usr/bin/overlayd</c>.</summary>
    public static string File(string relative) => System.IO.Path.Combine(ExtractedRoot, relative);

    private static string Locate()
    {
        string? given = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(given))
        {
            return System.IO.File.Exists(given)
                ? given
                : throw new FileNotFoundException($"{Variable}={given} does not exist: point it at a .deb from tools/package.sh or unset it", given);
        }
        string output = Directory.CreateTempSubdirectory("overlay-package-").FullName;
        DeleteAtExit(output);
        ToolResult built = Tools.TryRun(s_buildTimeout, System.IO.Path.Combine(RepositoryRoot, "tools", "package.sh"), output);
        if (built.ExitCode != 0)
        {
            throw new InvalidOperationException($"tools/package.sh exited {built.ExitCode}:\n{built.StandardError}{built.StandardOutput}");
        }
        return Directory.GetFiles(output, "overlay_*.deb").Single();
    }

    private static string Extract()
    {
        string root = Directory.CreateTempSubdirectory("overlay-package-root-").FullName;
        DeleteAtExit(root);
        Tools.Run("dpkg-deb", "-x", Path, root);
        return root;
    }

    private static void DeleteAtExit(string directory) =>
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temporary directory left behind is harmless.
            }
        };
}
