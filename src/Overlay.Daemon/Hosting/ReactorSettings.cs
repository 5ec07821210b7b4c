namespace Overlay.Daemon.Hosting;

/// <summary>Data-plane sizing. One batch is what one recvmmsg/sendmmsg or one TUN drain moves.</summary>
internal static class ReactorSettings
{
    /// <summary>64 packets per syscall: nebula's and wireguard-go's choice, and past it the gain flattens.</summary>
    public const int BatchSize = 64;
}
