using System.Globalization;
using Overlay.TestKit;

namespace Overlay.Linux.Tests.Layout;

/// <summary>
/// Compiles native_probe.c with gcc once per test run and parses its "key value" lines: "sizeof struct X",
/// "offsetof struct X.m", "fieldsize struct X.m" and "const NAME".
/// </summary>
internal static class NativeProbe
{
    private static readonly Lazy<IReadOnlyDictionary<string, long>> s_values = new(CompileAndRun);

    public static IReadOnlyDictionary<string, long> Values => s_values.Value;

    public static long Get(string key) =>
        Values.TryGetValue(key, out long value) ? value : throw new KeyNotFoundException($"native_probe.c printed no '{key}'");

    private static IReadOnlyDictionary<string, long> CompileAndRun()
    {
        string gcc = Tools.Find("gcc") ?? throw new InvalidOperationException(
            "gcc is required to check native struct layouts and constants against the C headers: install gcc (Debian: apt-get install gcc)");
        string source = Path.Combine(AppContext.BaseDirectory, "Layout", "native_probe.c");
        string directory = Directory.CreateTempSubdirectory("overlay-native-probe-").FullName;
        try
        {
            string binary = Path.Combine(directory, "native_probe");
            ToolResult compile = Tools.TryRun(TimeSpan.FromSeconds(60), gcc, "-Wall", "-Werror", "-o", binary, source);
            if (compile.ExitCode != 0)
            {
                throw new InvalidOperationException($"gcc could not compile {source}: {compile.StandardError}");
            }
            string output = Tools.RunWithTimeout(TimeSpan.FromSeconds(10), binary);
            var values = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                int split = line.LastIndexOf(' ');
                values.Add(line[..split], long.Parse(line[(split + 1)..], CultureInfo.InvariantCulture));
            }
            return values;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
