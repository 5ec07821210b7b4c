using System.Text;
using Tmds.Linux;

namespace Overlay.Ctl.Tests.Admin;

/// <summary>
/// What a daemon killed with SIGKILL leaves behind: a bound socket file that nobody listens on any more. Made with
/// libc because a .NET Socket unlinks its file when disposed.
/// </summary>
internal static unsafe class LeftoverSocket
{
    public static void Create(string path)
    {
        int fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM, 0);
        Assert.True(fd >= 0, "socket(AF_UNIX) failed");
        try
        {
            sockaddr_un address = default;
            address.sun_family = LibC.AF_UNIX;
            byte[] name = Encoding.UTF8.GetBytes(path);
            Assert.True(name.Length < 108, "socket path too long");
            for (int i = 0; i < name.Length; i++)
            {
                address.sun_path[i] = name[i];
            }
            Assert.Equal(0, LibC.bind(fd, (sockaddr*)&address, sizeof(sockaddr_un)));
        }
        finally
        {
            LibC.close(fd);
        }
    }
}
