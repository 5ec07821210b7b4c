using Overlay.Linux.Netlink;
using Overlay.Linux.Tun;

namespace Overlay.Linux.Tests.Support;

/// <summary>
/// The setup most privileged TUN tests open with, run on a <see cref="NamespaceThread"/>: a shutdown signal with a
/// watchdog, and a TUN device from the <c>flannel%d</c> template configured like flannel0
/// (<see cref="OverlayAddresses.ConfigureLikeFlannel"/>). Disposal closes the device, then the watchdog and the signal.
/// </summary>
internal sealed class FlannelTun : IDisposable
{
    private FlannelTun(ShutdownSignal shutdown, ShutdownWatchdog watchdog, TunDevice device)
    {
        Shutdown = shutdown;
        Watchdog = watchdog;
        Device = device;
    }

    public ShutdownSignal Shutdown { get; }

    /// <summary>Signals <see cref="Shutdown"/> at the deadline, so a blocked Read or Receive always returns.</summary>
    public ShutdownWatchdog Watchdog { get; }

    public TunDevice Device { get; }

    /// <param name="deadline">When the watchdog signals shutdown.</param>
    /// <param name="options">Device options; null for a plain single-queue device.</param>
    public static FlannelTun Create(TimeSpan deadline, TunOptions? options = null)
    {
        var shutdown = new ShutdownSignal();
        var watchdog = new ShutdownWatchdog(shutdown, deadline);
        TunDevice? device = null;
        try
        {
            device = TunDevice.Create("flannel%d", shutdown, options ?? TunOptions.Plain);
            using (var netlink = new RouteNetlink())
            {
                OverlayAddresses.ConfigureLikeFlannel(netlink, device);
            }
            return new FlannelTun(shutdown, watchdog, device);
        }
        catch
        {
            device?.Dispose();
            watchdog.Dispose();
            shutdown.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Device.Dispose();
        Watchdog.Dispose();
        Shutdown.Dispose();
    }
}
