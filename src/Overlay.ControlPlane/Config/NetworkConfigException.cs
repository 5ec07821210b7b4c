namespace Overlay.ControlPlane.Config;

/// <summary>
/// The network config cannot be used. <see cref="Field"/> names the offending JSON field (e.g. "SubnetLen",
/// "Backend.Type", or "config" for the document itself); the message names the field, the bad value and the fix.
/// </summary>
public sealed class NetworkConfigException : Exception
{
    public NetworkConfigException(string field, string message)
        : base(message) => Field = field;

    public NetworkConfigException()
        : this("config", "invalid network config")
    {
    }

    public NetworkConfigException(string message)
        : this("config", message)
    {
    }

    public NetworkConfigException(string message, Exception innerException)
        : base(message, innerException) => Field = "config";

    public string Field { get; }
}
