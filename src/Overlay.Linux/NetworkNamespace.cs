using System.Text;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux;

/// <summary>
/// Moves the calling thread into a named network namespace (one made by <c>ip netns add</c>). Linux network
/// namespaces are per thread, so every socket, TUN device and netlink socket that thread creates afterwards lives
/// there, while the rest of the process stays where it was.
/// </summary>
public static class NetworkNamespace
{
    /// <summary>Where iproute2 keeps the bind mounts of named namespaces.</summary>
    public const string NamedNamespaceDirectory = "/run/netns";

    /// <summary>
    /// Enters namespace <paramref name="name"/> for the calling thread only. Use it on a dedicated <see cref="Thread"/>
    /// that ends when the work is done: a pool thread would carry the namespace into unrelated work.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called on a thread-pool thread.</exception>
    /// <exception cref="SystemCallException">The namespace does not exist or setns was refused (needs CAP_SYS_ADMIN).</exception>
    public static unsafe void EnterForCurrentThread(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/', StringComparison.Ordinal) || name is "." or "..")
        {
            throw new ArgumentException($"'{name}' is not a namespace name: it must be a plain file name under {NamedNamespaceDirectory}", nameof(name));
        }
        if (Thread.CurrentThread.IsThreadPoolThread)
        {
            throw new InvalidOperationException(
                $"refusing to move a thread-pool thread into network namespace '{name}': use a dedicated Thread");
        }
        string path = $"{NamedNamespaceDirectory}/{name}";
        byte[] pathBytes = Encoding.UTF8.GetBytes(path + "\0");
        int fd;
        fixed (byte* p = pathBytes)
        {
            fd = LibC.open(p, LibC.O_RDONLY | LibC.O_CLOEXEC, default);
        }
        if (fd < 0)
        {
            throw SystemCallException.FromLastError($"open network namespace {path}");
        }
        try
        {
            if (LibC.setns(fd, LibC.CLONE_NEWNET) != 0)
            {
                throw SystemCallException.FromLastError($"setns(CLONE_NEWNET) into {path}");
            }
        }
        finally
        {
            Syscall.Close(fd);
        }
    }
}
