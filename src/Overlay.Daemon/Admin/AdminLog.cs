using Microsoft.Extensions.Logging;

namespace Overlay.Daemon.Admin;

/// <summary>Admin socket events. Ids 100-109 are reserved for the admin server.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(100, LogLevel.Information, "admin socket listening on {Path}")]
    public static partial void Listening(this ILogger logger, string path);

    [LoggerMessage(101, LogLevel.Debug, "admin request '{Request}' failed: {Reason}")]
    public static partial void RequestFailed(this ILogger logger, string request, string reason);

    [LoggerMessage(102, LogLevel.Information, "capture started (up to {Count} packets, 0 = unlimited)")]
    public static partial void CaptureStarted(this ILogger logger, int count);

    [LoggerMessage(103, LogLevel.Information, "capture ended: {Captured} packets sent, {Skipped} skipped because the reader fell behind")]
    public static partial void CaptureEnded(this ILogger logger, long captured, long skipped);

    [LoggerMessage(104, LogLevel.Warning, "admin connection refused: {Active} connections already open")]
    public static partial void TooManyConnections(this ILogger logger, int active);
}
