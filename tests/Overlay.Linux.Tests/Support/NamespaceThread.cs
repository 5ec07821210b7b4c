using System.Runtime.ExceptionServices;

namespace Overlay.Linux.Tests.Support;

/// <summary>
/// Runs test code on a dedicated thread that first enters a test network namespace, so TUN devices, sockets and
/// netlink requests it makes live there and the root namespace is never touched. The thread ends with the body.
/// </summary>
internal sealed class NamespaceThread
{
    private static readonly TimeSpan s_defaultTimeout = TimeSpan.FromSeconds(60);

    private readonly Thread _thread;
    private ExceptionDispatchInfo? _failure;

    private NamespaceThread(string namespaceName, Action body)
    {
        _thread = new Thread(() =>
        {
            try
            {
                NetworkNamespace.EnterForCurrentThread(namespaceName);
                body();
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + namespaceName,
        };
    }

    public static NamespaceThread Start(string namespaceName, Action body)
    {
        var thread = new NamespaceThread(namespaceName, body);
        thread._thread.Start();
        return thread;
    }

    /// <summary>Runs <paramref name="body"/> inside the namespace and rethrows whatever it threw.</summary>
    public static void Run(string namespaceName, Action body) => Start(namespaceName, body).Join();

    public void Join(TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? s_defaultTimeout;
        Assert.True(_thread.Join(limit), $"{_thread.Name} did not finish within {limit.TotalSeconds:0} s");
        _failure?.Throw();
    }
}
