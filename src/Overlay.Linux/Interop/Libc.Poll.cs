using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Overlay.Linux.Interop;

internal static unsafe partial class Libc
{
    // Tmds.LibC 0.5.0 declares poll without SetLastError, so errno after a failed call is stale: an EINTR (a signal
    // such as SIGCONT landing on a forwarding thread) read as EAGAIN ended the loop instead of retrying it.
    [LibraryImport("libc", SetLastError = true)]
    internal static partial int poll(pollfd* fds, nuint nfds, int timeout);
}
