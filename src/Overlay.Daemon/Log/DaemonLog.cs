using Microsoft.Extensions.Logging;
using Overlay.Daemon.Hosting;

namespace Overlay.Daemon.Log;

/// <summary>One line per lifecycle event; nothing on the packet path logs.</summary>
internal static partial class DaemonLog
{
    [LoggerMessage(EventIds.Starting, LogLevel.Information, "overlayd {Version} starting (etcd {Endpoints}, prefix {Prefix})")]
    public static partial void Starting(this ILogger logger, string version, string endpoints, string prefix);

    [LoggerMessage(EventIds.InterfaceSelected, LogLevel.Information, "using interface {Interface} (index {Index}, MTU {Mtu}), address {Address}, public IP {PublicIp}")]
    public static partial void InterfaceSelected(this ILogger logger, string @interface, int index, int mtu, string address, string publicIp);

    [LoggerMessage(EventIds.ConfigLoaded, LogLevel.Information, "network config: Network {Network}, SubnetLen {SubnetLen}, backend udp port {Port}")]
    public static partial void ConfigLoaded(this ILogger logger, string network, int subnetLen, int port);

    [LoggerMessage(EventIds.LeaseAcquired, LogLevel.Information, "lease acquired: subnet {Subnet}, public IP {PublicIp}, expires {Expiration:u}")]
    public static partial void LeaseAcquired(this ILogger logger, string subnet, string publicIp, DateTimeOffset expiration);

    [LoggerMessage(EventIds.LeaseAcquireFailed, LogLevel.Error, "could not acquire a subnet lease, retrying in {RetrySeconds} s: {Reason}")]
    public static partial void LeaseAcquireFailed(this ILogger logger, int retrySeconds, string reason);

    [LoggerMessage(EventIds.DeviceReady, LogLevel.Information, "device {Device} up: address {Address}/32, MTU {Mtu}, route {Network}")]
    public static partial void DeviceReady(this ILogger logger, string device, string address, int mtu, string network);

    [LoggerMessage(EventIds.Forwarding, LogLevel.Information, "forwarding: {Device} <-> udp {Bind}, {Peers} peer routes")]
    public static partial void Forwarding(this ILogger logger, string device, string bind, int peers);

    [LoggerMessage(EventIds.SubnetFileWritten, LogLevel.Information, "wrote {Path}")]
    public static partial void SubnetFileWritten(this ILogger logger, string path);

    [LoggerMessage(EventIds.SubnetFileFailed, LogLevel.Warning, "could not write {Path}, forwarding anyway: {Reason}")]
    public static partial void SubnetFileFailed(this ILogger logger, string path, string reason);

    [LoggerMessage(EventIds.Stopping, LogLevel.Information, "stopping: {Reason}")]
    public static partial void Stopping(this ILogger logger, string reason);

    [LoggerMessage(EventIds.Stopped, LogLevel.Information, "stopped; the lease stays in etcd until it expires, as with flanneld")]
    public static partial void Stopped(this ILogger logger);

    [LoggerMessage(EventIds.ReactorFault, LogLevel.Critical, "forwarding thread failed; exiting so the supervisor restarts overlayd")]
    public static partial void ReactorFault(this ILogger logger, Exception exception);

    [LoggerMessage(EventIds.ControlPlaneFault, LogLevel.Critical, "control plane failed; exiting so the supervisor restarts overlayd")]
    public static partial void ControlPlaneFault(this ILogger logger, Exception exception);

    [LoggerMessage(EventIds.AcceptLocalFailed, LogLevel.Warning, "could not set accept_local on {Device} ({Reason}): local senders will not see ICMP net-unreachable replies; forwarding is unaffected")]
    public static partial void AcceptLocalFailed(this ILogger logger, string device, string reason);

    [LoggerMessage(EventIds.OffloadUnavailable, LogLevel.Warning, "TUN offloads refused by the kernel, forwarding one packet per syscall: {Reason}")]
    public static partial void OffloadUnavailable(this ILogger logger, string reason);

    [LoggerMessage(EventIds.DataPlaneMode, LogLevel.Information, "data plane: {Queues} queue(s), offload {Offload}, UDP GSO {Gso}, UDP GRO {Gro}, socket buffers rcv {ReceiveBuffer} snd {SendBuffer}")]
    public static partial void DataPlaneMode(this ILogger logger, int queues, string offload, string gso, string gro, int receiveBuffer, int sendBuffer);

    [LoggerMessage(EventIds.ForwardingThreadsPinned, LogLevel.Information, "forwarding threads pinned (-cpus): {Placement}")]
    public static partial void ForwardingThreadsPinned(this ILogger logger, string placement);

    [LoggerMessage(EventIds.LightLoadPinning, LogLevel.Information, "forwarding threads share one CPU while traffic is light (-pin-when-light): {Placement}")]
    public static partial void LightLoadPinning(this ILogger logger, string placement);

    [LoggerMessage(EventIds.ThreadPlacementChanged, LogLevel.Debug, "forwarding threads {Placement} ({PacketsPerWake:F1} packets per wake-up)")]
    public static partial void ThreadPlacementChanged(this ILogger logger, string placement, double packetsPerWake);

    [LoggerMessage(EventIds.ThreadPlacementFailed, LogLevel.Warning, "could not move the forwarding threads ({Error}); light-load pinning stops and gives them every CPU the daemon may use")]
    public static partial void ThreadPlacementFailed(this ILogger logger, string error);

    [LoggerMessage(EventIds.MasqueradeInstalled, LogLevel.Information, "masquerade rules installed with {Backend} for network {Network}, subnet {Subnet}")]
    public static partial void MasqueradeInstalled(this ILogger logger, string backend, string network, string subnet);

    [LoggerMessage(EventIds.BridgeNetfilterMissing, LogLevel.Warning, "br_netfilter is not loaded (no /proc/sys/net/bridge/bridge-nf-call-iptables): traffic bridged between pods on this host bypasses iptables, so Kubernetes Services and masquerade rules do not see it; load it with 'modprobe br_netfilter' (flanneld 0.26 and later refuse to start without it unless EnableNFTables is set; overlayd forwards anyway)")]
    public static partial void BridgeNetfilterMissing(this ILogger logger);

    [LoggerMessage(EventIds.MasqueradeRepaired, LogLevel.Warning, "masquerade rules were missing and have been rebuilt")]
    public static partial void MasqueradeRepaired(this ILogger logger);

    [LoggerMessage(EventIds.MasqueradeResyncFailed, LogLevel.Error, "masquerade rules: {Reason}")]
    public static partial void MasqueradeResyncFailed(this ILogger logger, string reason);

    [LoggerMessage(EventIds.LeaseChanged, LogLevel.Warning, "lease moved from {OldSubnet} to {Subnet}: re-addressing {Device}, rewriting the subnet file and the masquerade rules")]
    public static partial void LeaseChanged(this ILogger logger, string oldSubnet, string subnet, string device);

    [LoggerMessage(EventIds.PodsHoldOldSubnet, LogLevel.Error, "pods on this host still hold addresses of the old subnet {OldSubnet}, which other hosts now route to its new owner: recreate them so they get addresses from {Subnet}")]
    public static partial void PodsHoldOldSubnet(this ILogger logger, string oldSubnet, string subnet);

    [LoggerMessage(EventIds.OldAddressRemoved, LogLevel.Information, "{Device}: address {Address}/32 of the old lease removed")]
    public static partial void OldAddressRemoved(this ILogger logger, string device, string address);

    [LoggerMessage(EventIds.MasqueradeMoveFailed, LogLevel.Error, "masquerade rules could not be moved to subnet {Subnet} (retried at the next resync): {Reason}")]
    public static partial void MasqueradeMoveFailed(this ILogger logger, string subnet, string reason);

    [LoggerMessage(EventIds.GsoFellBack, LogLevel.Warning, "UDP GSO turned off at run time on the socket of port {Port}: {Reason}")]
    public static partial void GsoFellBack(this ILogger logger, ushort port, string reason);

    [LoggerMessage(EventIds.StartRefused, LogLevel.Critical, "{Reason}; nothing was changed: no lease taken, no device created, no subnet file written")]
    public static partial void StartRefused(this ILogger logger, string reason);

    [LoggerMessage(EventIds.HealthServing, LogLevel.Information, "health endpoints /healthz and /readyz on {Address}:{Port}")]
    public static partial void HealthServing(this ILogger logger, string address, int port);

    [LoggerMessage(EventIds.Ipv6Ignored, LogLevel.Warning, "EnableIPv6 is set, but the udp backend carries IPv4 only; IPv6 is ignored")]
    public static partial void Ipv6Ignored(this ILogger logger);

    [LoggerMessage(EventIds.Counters, LogLevel.Information, "totals: {Counters}")]
    public static partial void Counters(this ILogger logger, string counters);
}
