namespace Overlay.Linux.Interop;

/// <summary>Why a <see cref="ReadinessWait"/> returned.</summary>
internal enum Readiness
{
    /// <summary>The data fd reported the requested event, or an error the next syscall on it will surface.</summary>
    Ready,

    /// <summary>The shutdown eventfd fired.</summary>
    Shutdown,

    TimedOut,

    /// <summary>poll itself failed, or the data fd is not open (POLLNVAL).</summary>
    Failed,
}
