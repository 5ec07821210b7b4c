namespace Overlay.Daemon.Hosting;

/// <summary>
/// A start-up check refused to go on (a port, socket or path in use or unusable, no TUN). Thrown only before the
/// lease, the device and the subnet file are touched, so the message can promise that nothing was changed.
/// </summary>
internal sealed class StartRefusedException(string message, Exception? inner = null) : Exception(message, inner);
