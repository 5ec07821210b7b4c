namespace Overlay.Ctl;

/// <summary>overlayctl's exit statuses; scripts rely on them.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The daemon's admin socket could not be reached, or the daemon refused the request.</summary>
    public const int DaemonUnreachable = 1;

    /// <summary>Bad command line.</summary>
    public const int Usage = 2;
}
