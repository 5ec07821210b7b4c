using System.Text;
using Tmds.Linux;

namespace Overlay.Linux;

/// <summary>What kind of file a path names, for code that must not delete something it did not create.</summary>
public static unsafe class FileKind
{
    /// <summary>True when <paramref name="path"/> itself (not a symlink's target) is a Unix domain socket.</summary>
    public static bool IsSocket(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        stat status;
        fixed (byte* name = bytes)
        {
            if (LibC.lstat(name, &status) != 0)
            {
                return false;
            }
        }
        return (status.st_mode & LibC.S_IFMT) == LibC.S_IFSOCK;
    }
}
