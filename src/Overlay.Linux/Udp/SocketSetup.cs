using System.Runtime.InteropServices;
using Overlay.Linux.Interop;
using Tmds.Linux;

namespace Overlay.Linux.Udp;

/// <summary>The setsockopt/getsockopt calls <see cref="UdpBatchSocket.Open(uint, ushort, int, ShutdownSignal, UdpSocketOptions)"/> makes.</summary>
internal static unsafe class SocketSetup
{
    /// <summary>Tries <paramref name="forceOption"/> (passes net.core.*mem_max with CAP_NET_ADMIN), then the capped <paramref name="option"/>.</summary>
    /// <exception cref="SystemCallException">Both were refused.</exception>
    public static void SetBufferSize(int fd, int forceOption, int option, int bytes, string what)
    {
        if (TrySetInt(fd, LibC.SOL_SOCKET, forceOption, bytes, out _))
        {
            return;
        }
        if (!TrySetInt(fd, LibC.SOL_SOCKET, option, bytes, out int errno))
        {
            throw new SystemCallException($"setsockopt {what}", errno);
        }
    }

    /// <exception cref="SystemCallException">The kernel refused.</exception>
    public static void SetInt(int fd, int level, int option, int value, string what)
    {
        if (!TrySetInt(fd, level, option, value, out int errno))
        {
            throw new SystemCallException($"setsockopt {what}", errno);
        }
    }

    /// <summary>setsockopt with an int value; false and the errno when refused.</summary>
    public static bool TrySetInt(int fd, int level, int option, int value, out int errno)
    {
        if (LibC.setsockopt(fd, level, option, &value, sizeof(int)) == 0)
        {
            errno = 0;
            return true;
        }
        errno = Marshal.GetLastPInvokeError();
        return false;
    }

    /// <summary>getsockopt of an int value; 0 when it fails (only used to report settings back).</summary>
    public static int GetInt(int fd, int level, int option)
    {
        int value = 0;
        socklen_t length = sizeof(int);
        return LibC.getsockopt(fd, level, option, &value, &length) == 0 ? value : 0;
    }

    /// <summary>Setup text for a refused option, e.g. "setsockopt(UDP_GRO) refused: Protocol not available (errno 92)".</summary>
    public static string Refusal(string option, int errno) => $"setsockopt({option}) refused: {Errno.Describe(errno)}";
}
