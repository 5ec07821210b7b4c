using System.Globalization;
using System.Runtime.InteropServices;

namespace Overlay.Linux.Interop;

/// <summary>errno values rendered for setup-time messages.</summary>
internal static class Errno
{
    /// <summary>The C library's text for the errno plus its number, e.g. "File exists (errno 17)".</summary>
    public static string Describe(int errno) =>
        string.Create(CultureInfo.InvariantCulture, $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
}
