namespace Overlay.Daemon.Options;

/// <summary>A flag that parsed but makes no sense; the message names the flag and the fix. Exit code 1, like flanneld.</summary>
internal sealed class OptionsException(string flag, string message) : Exception(message)
{
    public string Flag { get; } = flag;
}
