namespace Overlay.Ctl.Daemon;

/// <summary>The admin socket could not be reached or answered with an error; the message says which socket and what to do.</summary>
internal sealed class DaemonUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
