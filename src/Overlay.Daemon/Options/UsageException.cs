namespace Overlay.Daemon.Options;

/// <summary>A command-line problem: the daemon prints the message and usage, and exits 2 as flanneld does.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>-h or -help: print usage and exit 0.</summary>
internal sealed class HelpRequestedException() : Exception("help requested");

/// <summary>A flanneld flag overlayd does not implement: the daemon prints what it is for and exits 2, without usage.</summary>
internal sealed class UnsupportedFlagException(string message) : Exception(message);
