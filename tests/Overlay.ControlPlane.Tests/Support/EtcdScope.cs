using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Etcd;
using Overlay.TestKit.Etcd;

namespace Overlay.ControlPlane.Tests.Support;

/// <summary>One test's corner of the shared etcd server: its own key prefix, a registry over it, captured logs.</summary>
public sealed class EtcdScope : IDisposable
{
    public const string DefaultConfig = """{"Network":"10.244.0.0/16","Backend":{"Type":"udp"}}""";

    public EtcdScope(EtcdServer server, TimeProvider? time = null)
    {
        Server = server;
        Prefix = EtcdServer.NewPrefix();
        Time = time ?? TimeProvider.System;
        Registry = NewRegistry();
    }

    public EtcdServer Server { get; }

    public string Prefix { get; }

    public TimeProvider Time { get; }

    public CapturedLogs Logs { get; } = new();

    public EtcdSubnetRegistry Registry { get; }

    public EtcdOptions Options => new() { Endpoints = [Server.Endpoint], Prefix = Prefix, CallTimeout = TimeSpan.FromSeconds(2) };

    public EtcdSubnetRegistry NewRegistry() => new(Options, Logs.CreateLogger<EtcdSubnetRegistry>(), Time);

    public string Key(string subnetName) => $"{Prefix}/subnets/{subnetName}";

    public NetworkConfig PutConfig(string json = DefaultConfig)
    {
        PutConfigText(json);
        return NetworkConfigParser.Parse(json);
    }

    /// <summary>Writes the config document as is, valid or not.</summary>
    public void PutConfigText(string text) => Server.Etcdctl("put", $"{Prefix}/config", text);

    /// <summary>Writes a lease the way flanneld does: the exact JSON, attached to a fresh 24 h etcd lease.</summary>
    public void PutFlannelLease(string subnetName, string publicIp)
    {
        string lease = Server.GrantLease(86400);
        Server.Etcdctl("put", $"--lease={lease}", Key(subnetName), $$"""{"PublicIP":"{{publicIp}}","PublicIPv6":null}""");
    }

    /// <summary>The value stored at a key, or null when absent.</summary>
    public string? Get(string key)
    {
        string output = Server.Etcdctl("get", key, "--print-value-only");
        return output.Length == 0 ? null : output.TrimEnd('\n');
    }

    public void Dispose() => Registry.Dispose();
}
