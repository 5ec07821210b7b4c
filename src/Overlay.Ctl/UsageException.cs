namespace Overlay.Ctl;

/// <summary>The command line cannot be understood; the message says what to fix.</summary>
internal sealed class UsageException(string message) : Exception(message);
