namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// <c>&lt;prefix&gt;/config</c> does not exist. Often the config was written with the etcd v2 API, whose keyspace
/// the v3 API (used by flannel since v0.18.0 and by this daemon) cannot see.
/// </summary>
public sealed class ConfigKeyMissingException : Exception
{
    public ConfigKeyMissingException(string key)
        : base($"{key} not found in etcd: was the config written with the etcd v3 API? A key written with the v2 API (etcdctl without ETCDCTL_API=3, or flannel before v0.18.0) is invisible here; write it with ETCDCTL_API=3 etcdctl put {key} '{{\"Network\": \"10.244.0.0/16\", \"Backend\": {{\"Type\": \"udp\"}}}}'") =>
        Key = key;

    public ConfigKeyMissingException()
        : this("/coreos.com/network/config")
    {
    }

    public ConfigKeyMissingException(string message, Exception innerException)
        : base(message, innerException) => Key = "";

    public string Key { get; }
}
