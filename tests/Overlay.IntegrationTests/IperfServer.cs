using System.Diagnostics;
using Overlay.TestKit.Namespaces;

namespace Overlay.IntegrationTests;

/// <summary>
/// A one-test iperf3 server (<c>-s -1</c>) in a lab host, bounded by <c>timeout</c>: listening when
/// <see cref="Start"/> returns, so a client never races its start-up, and stopped by <see cref="Dispose"/>.
/// </summary>
internal sealed class IperfServer : IDisposable
{
    private const int Port = 5201;
    private readonly Process _process;

    private IperfServer(Process process) => _process = process;

    public static IperfServer Start(TestNamespace host, string bindAddress)
    {
        var server = new IperfServer(Process.Start("ip", ["netns", "exec", host.Name, "timeout", "20", "iperf3", "-s", "-1", "-B", bindAddress])!);
        if (!SpinWait.SpinUntil(() => server._process.HasExited || Listening(host), TimeSpan.FromSeconds(10)) || server._process.HasExited)
        {
            server.Dispose();
            throw new InvalidOperationException($"iperf3 -s on {bindAddress} in {host.Name} never listened");
        }
        return server;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        _process.Dispose();
    }

    private static bool Listening(TestNamespace host) =>
        host.TryExec(TimeSpan.FromSeconds(5), "ss", "-Hltn", $"sport = :{Port}").StandardOutput.Trim().Length > 0;
}
