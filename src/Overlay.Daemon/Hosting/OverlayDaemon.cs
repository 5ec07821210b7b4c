using Microsoft.Extensions.Logging;
using Overlay.ControlPlane;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Leases;
using Overlay.ControlPlane.SubnetEnv;
using Overlay.Daemon.Admin;
using Overlay.Daemon.Log;
using Overlay.Daemon.Metrics;
using Overlay.Daemon.Options;
using Overlay.DataPlane.Capture;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.Linux;
using Overlay.Linux.Netlink;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// Startup and shutdown: health endpoints, admin socket, config, then the checks that need it (subnet file, TUN
/// device, UDP port) so that a refusal changes nothing, then lease, addresses, forwarding, masquerade, subnet.env,
/// ready. Then the control plane runs until SIGTERM; the data plane keeps the last route table whatever
/// etcd does.
/// </summary>
internal sealed class OverlayDaemon(DaemonOptions options, ILoggerFactory loggerFactory)
{
    /// <summary>IPv4 (20) + UDP (8): what each packet gains on the wire.</summary>
    public const int EncapsulationOverhead = 28;

    private const string DeviceTemplate = "flannel%d";

    private readonly ILogger _logger = loggerFactory.CreateLogger("overlayd");

    public async Task<int> RunAsync(CancellationToken stop)
    {
        _logger.Starting(VersionInfo.Version, string.Join(",", options.EtcdEndpoints), options.EtcdPrefix);

        // Every check that can refuse to start runs before the lease, the device and the subnet file are touched:
        // interface, health port and admin socket now; subnet file, TUN and UDP port once the config names the port.
        SelectedInterface external = InterfaceSelector.Select(options, HostInterfaces.List(), HostInterfaces.DefaultRouteInterface());
        _logger.InterfaceSelected(external.Interface.Name, external.Interface.Index, external.Interface.Mtu,
            Ipv4.Format(external.InterfaceAddress), Ipv4.Format(external.PublicAddress));

        await using HealthServer? health = options.HealthzPort > 0
            ? await StartHealthServerAsync(stop).ConfigureAwait(false)
            : null;

        var routes = new RouteTableHolder();
        var counters = new ForwardingCounters();
        var capture = new CaptureTap();
        using var controlPlane = new ControlPlaneService(
            EtcdSettings(),
            new ControlPlaneOptions(external.PublicAddress, options.SubnetFile, options.RenewMargin),
            routes, loggerFactory, TimeProvider.System);
        await using AdminServer? admin = options.AdminSocket is { } socketPath
            ? StartAdminServer(socketPath, new AdminSources(
                    () => routes.Current,
                    counters.Snapshot,
                    capture,
                    controlPlane.ListLeasesAsync,
                    counters.Peers,
                    () => controlPlane.CurrentLease?.Subnet))
            : null;

        NetworkConfig config = await controlPlane.WaitForConfigAsync(stop).ConfigureAwait(false);
        _logger.ConfigLoaded(config.Network.ToString(), config.SubnetLen, config.BackendPort);
        if (config.EnableIPv6)
        {
            _logger.Ipv6Ignored();
        }
        // flanneld 0.26+ exits here (pods bridged on this host need the module for Services and masquerading); a
        // host that only forwards bridges nothing, so overlayd warns and carries on.
        if (!config.EnableNFTables && !Sysctl.BridgeNetfilterLoaded())
        {
            _logger.BridgeNetfilterMissing();
        }
        CheckSubnetFileWritable();
        int mtu = external.Interface.Mtu - EncapsulationOverhead;
        using ForwardingPlane plane = CreateForwardingPlane(counters);
        plane.OpenSockets(external.InterfaceAddress, (ushort)config.BackendPort, options);

        Lease lease = await AcquireLeaseAsync(controlPlane, config, stop).ConfigureAwait(false);

        using var netlink = new RouteNetlink();
        int tunIndex = netlink.GetLinkIndex(plane.DeviceName);
        netlink.SetLinkMtu(tunIndex, mtu);
        netlink.SetTxQueueLength(tunIndex, options.TunTxQueueLength);
        var router = new OutboundProcessor(routes, lease.Subnet.Network, options.CreateIcmpReplyLimiter());
        var binding = new LeaseBinding(netlink, tunIndex, plane.DeviceName, router, config, mtu, options.SubnetFile, options.IpMasquerade, _logger);
        binding.Bind(lease);
        netlink.SetLinkUp(tunIndex);
        netlink.AddRoute(config.Network, tunIndex);
        TryAcceptLocal(plane.DeviceName);
        _logger.DeviceReady(plane.DeviceName, Ipv4.Format(lease.Subnet.Network), mtu, config.Network.ToString());

        var receiver = new InboundProcessor(routes, dropUnknownSources: options.SourceCheck) { Capture = capture };
        router.Capture = capture;
        var faulted = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        plane.Start(external.InterfaceAddress, mtu, router, receiver, options, (_, fault) => faulted.TrySetResult(fault), _logger);

        await using MasqueradeKeeper? masquerade = options.IpMasquerade
            ? MasqueradeKeeper.Install(config.Network, lease.Subnet, options.IpMasqueradeFullyRandom, options.ForwardRules,
                config.EnableNFTables, options.RulesResync, _logger)
            : null;
        binding.Masquerade = masquerade;
        binding.WriteSubnetFile();

        // Raised on the control-plane task, which is the only user of the netlink socket after start-up.
        controlPlane.LeaseChanged += binding.Move;

        using var metrics = new OverlayMetrics(plane, routes, controlPlane, options.MetricsPeers);
        using var reclaimer = new MemoryReclaimer();
        _logger.Forwarding(plane.DeviceName, $"{Ipv4.Format(external.InterfaceAddress)}:{config.BackendPort}", routes.Current.Count);
        health?.MarkReady();
        SystemdNotify.Ready();

        using var controlStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task control = controlPlane.RunAsync(config, lease, controlStop.Token);
        Task finished = await Task.WhenAny(control, faulted.Task, Task.Delay(Timeout.Infinite, stop)).ConfigureAwait(false);

        int exitCode = 0;
        string reason = "signal";
        if (finished == faulted.Task)
        {
            _logger.ReactorFault(faulted.Task.Result);
            exitCode = 1;
            reason = "forwarding fault";
        }
        else if (finished == control && control.Exception is { } controlFault)
        {
            // A bug, not an etcd outage (those are retried inside): exit so the supervisor restarts a clean daemon.
            _logger.ControlPlaneFault(controlFault.GetBaseException());
            exitCode = 1;
            reason = "control-plane fault";
        }
        _logger.Stopping(reason);
        await controlStop.CancelAsync().ConfigureAwait(false);
        plane.Stop();
        try
        {
            await control.ConfigureAwait(false);
        }
        catch (Exception) when (control.IsCanceled || exitCode != 0)
        {
            // Cancelled on purpose, or already reported above.
        }
        controlPlane.LeaseChanged -= binding.Move;
        _logger.Counters(plane.Counters.Snapshot().ToString());
        _logger.Stopped();
        return exitCode;
    }

    private async Task<HealthServer> StartHealthServerAsync(CancellationToken stop)
    {
        try
        {
            return await HealthServer.StartAsync(options.HealthzIp, options.HealthzPort, loggerFactory, stop).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            // Kestrel reports a taken port as an IOException wrapping the socket's AddressInUse.
            throw new StartRefusedException(
                $"-healthz-port: {options.HealthzIp}:{options.HealthzPort} cannot be served ({e.Message}); another process (another overlayd?) holds it: choose another -healthz-port, or 0 to turn the endpoints off", e);
        }
    }

    private AdminServer StartAdminServer(string socketPath, AdminSources sources)
    {
        try
        {
            return AdminServer.Start(socketPath, sources, loggerFactory.CreateLogger<AdminServer>());
        }
        catch (OptionsException e)
        {
            throw new StartRefusedException(e.Message, e);
        }
    }

    private void CheckSubnetFileWritable()
    {
        try
        {
            SubnetEnvFile.CheckWritable(options.SubnetFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartRefusedException(
                $"-subnet-file: {options.SubnetFile} cannot be written ({e.Message}); the CNI plugin reads it, so choose a -subnet-file in a writable directory", e);
        }
    }

    private ForwardingPlane CreateForwardingPlane(ForwardingCounters counters)
    {
        try
        {
            return ForwardingPlane.CreateDevice(DeviceTemplate, options, counters, _logger);
        }
        catch (SystemCallException e)
        {
            throw new StartRefusedException(
                $"no TUN device could be created ({e.Message}); overlayd needs /dev/net/tun (modprobe tun) and CAP_NET_ADMIN", e);
        }
    }

    private async Task<Lease> AcquireLeaseAsync(ControlPlaneService controlPlane, NetworkConfig config, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                Lease lease = await controlPlane.AcquireLeaseAsync(config, stop).ConfigureAwait(false);
                _logger.LeaseAcquired(lease.Subnet.ToString(), Ipv4.Format(lease.PublicIp), lease.Expiration);
                return lease;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LeaseAcquireFailed(1, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Lets the kernel deliver the ICMP replies overlayd writes into the TUN. In an unprivileged container /proc/sys
    /// is read-only: forwarding works regardless, only local senders miss their net-unreachable replies.
    /// </summary>
    private void TryAcceptLocal(string device)
    {
        try
        {
            Sysctl.AcceptLocal(device);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.AcceptLocalFailed(device, e.Message);
        }
    }

    private EtcdOptions EtcdSettings() => new()
    {
        Endpoints = options.EtcdEndpoints,
        Prefix = options.EtcdPrefix,
        CaFile = options.EtcdCaFile,
        CertFile = options.EtcdCertFile,
        KeyFile = options.EtcdKeyFile,
        Username = options.EtcdUsername,
        Password = options.EtcdPassword,
    };
}
