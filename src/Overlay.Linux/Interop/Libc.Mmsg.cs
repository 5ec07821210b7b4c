using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Overlay.Linux.Interop;

internal static unsafe partial class Libc
{
    // Tmds.LibC 0.5.0 declares mmsghdr but neither batch call, so these two are bound here against its structs.

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int sendmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags);

    [LibraryImport("libc", SetLastError = true)]
    internal static partial int recvmmsg(int sockfd, mmsghdr* msgvec, uint vlen, int flags, timespec* timeout);
}
