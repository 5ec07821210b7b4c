namespace Overlay.TestKit.Namespaces;

/// <summary>
/// A network namespace made for one test, with a unique name, deleted by that exact name on dispose.
/// Every name is also appended to the ledger file named by <c>OVERLAY_NETNS_LEDGER</c> (when set), so the CI
/// script can remove exactly these namespaces if the test process itself dies.
/// </summary>
public sealed class TestNamespace : IDisposable
{
    private int _disposed;

    private TestNamespace(string name) => Name = name;

    public string Name { get; }

    public static TestNamespace Create(string role)
    {
        string name = $"ovt-{role}-{Environment.ProcessId % 100000}-{Random.Shared.Next(100000):D5}";
        if (Environment.GetEnvironmentVariable("OVERLAY_NETNS_LEDGER") is { Length: > 0 } ledger)
        {
            File.AppendAllText(ledger, name + Environment.NewLine);
        }
        Tools.Run("ip", "netns", "add", name);
        var ns = new TestNamespace(name);
        ns.Exec("ip", "link", "set", "lo", "up");
        return ns;
    }

    /// <summary>Runs a program inside the namespace and returns its stdout; throws when it fails.</summary>
    public string Exec(string program, params string[] args) => Tools.Run("ip", ["netns", "exec", Name, program, .. args]);

    public ToolResult TryExec(TimeSpan timeout, string program, params string[] args) =>
        Tools.TryRun(timeout, "ip", ["netns", "exec", Name, program, .. args]);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Tools.TryRun(TimeSpan.FromSeconds(10), "ip", "netns", "del", Name);
        }
    }
}
