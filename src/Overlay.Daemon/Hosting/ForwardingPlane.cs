using Microsoft.Extensions.Logging;
using Overlay.Daemon.Log;
using Overlay.Daemon.Options;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Offload;
using Overlay.Linux;
using Overlay.Linux.Tun;
using Overlay.Linux.Udp;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// The TUN device, one UDP socket per TUN queue, and two forwarding loops per queue (TUN to UDP, UDP to TUN) on
/// dedicated threads. With offloads, TCP crosses the TUN as 64 KiB superpackets that are cut into MTU-sized packets
/// before UDP (and leave as GSO runs) and merged again after UDP GRO; on the wire every datagram is still one plain
/// IPv4 packet, as flannel sends. Falls back to the plain path when the kernel refuses the offloads.
/// </summary>
/// <remarks>Order matters on the way down: signal, join the threads, then close fds and free buffers.</remarks>
internal sealed class ForwardingPlane : IDisposable
{
    /// <summary>Superpackets read from the TUN per batch: up to 16 x 64 KiB waiting to be cut.</summary>
    private const int SuperpacketsPerRead = 16;

    private readonly ShutdownSignal _shutdown;
    private readonly TunDevice _tun;
    private readonly List<UdpBatchSocket> _sockets = [];
    private Reactor? _reactor;
    private LightLoadPinning? _pinning;

    private ForwardingPlane(ShutdownSignal shutdown, TunDevice tun, ForwardingCounters counters)
    {
        _shutdown = shutdown;
        _tun = tun;
        Counters = counters;
    }

    public string DeviceName => _tun.Name;

    public IReadOnlyList<UdpBatchSocket> Sockets => _sockets;

    /// <summary>The TUN device's queues, one per forwarding thread pair.</summary>
    public IReadOnlyList<TunQueue> Queues => _tun.Queues;

    /// <summary>Totals the loops add to; created by the daemon before the plane, so the admin socket can serve them from the start.</summary>
    public ForwardingCounters Counters { get; }

    /// <summary>Creates the TUN device: offloaded when asked and the kernel allows it, with the configured queues.</summary>
    public static ForwardingPlane CreateDevice(string nameTemplate, DaemonOptions options, ForwardingCounters counters, ILogger logger)
    {
        var shutdown = new ShutdownSignal();
        try
        {
            return new ForwardingPlane(shutdown, CreateTun(nameTemplate, options, shutdown, logger), counters);
        }
        catch
        {
            shutdown.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Binds one UDP socket per queue on the interface address. Called before the lease is taken, so a port another
    /// daemon holds refuses the start with nothing changed; sharing through SO_REUSEPORT is ruled out by a plain bind
    /// first, which fails while anyone else holds the port.
    /// </summary>
    /// <exception cref="StartRefusedException">The port is bound by another process.</exception>
    public void OpenSockets(uint bindAddress, ushort port, DaemonOptions options)
    {
        UdpPortProbe.ThrowIfInUse(bindAddress, port);
        bool offload = _tun.OffloadEnabled;
        foreach (TunQueue queue in _tun.Queues)
        {
            var socketOptions = new UdpSocketOptions
            {
                Gso = offload,
                Gro = offload,
                ReusePort = _tun.Queues.Count > 1,
                ReceiveBufferBytes = options.UdpBufferBytes,
                SendBufferBytes = options.UdpBufferBytes,
            };
            _sockets.Add(UdpBatchSocket.Open(bindAddress, port, offload ? SegmentsPerBatch(options) : options.BatchSize, _shutdown, socketOptions));
        }
    }

    /// <summary>Starts the forwarding threads on the sockets <see cref="OpenSockets"/> bound.</summary>
    public void Start(uint bindAddress, int mtu, OutboundProcessor router, InboundProcessor receiver, DaemonOptions options,
        Action<IForwardingLoop, Exception> onFault, ILogger logger)
    {
        if (_sockets.Count != _tun.Queues.Count)
        {
            throw new InvalidOperationException("OpenSockets must bind one socket per queue before Start");
        }
        bool offload = _tun.OffloadEnabled;
        int segmentsPerBatch = SegmentsPerBatch(options);
        // UDP datagrams are merged into USO superpackets only where the kernel accepts them from a TUN.
        bool mergeUdp = _tun.UsoEnabled;
        var loops = new List<IForwardingLoop>();
        var queueSlotOfLoop = new Dictionary<IForwardingLoop, (int Queue, int Slot)>();
        foreach (TunQueue queue in _tun.Queues)
        {
            int loopsBefore = loops.Count;
            UdpBatchSocket socket = _sockets[queue.Index];
            if (offload)
            {
                loops.Add(new SegmentingOutboundLoop(queue, socket, router, Counters, SuperpacketsPerRead, segmentsPerBatch, mtu, $"tun-to-udp-{queue.Index}"));
                loops.Add(new CoalescingInboundLoop(socket, queue, receiver, Counters, options.BatchSize, mtu, $"udp-to-tun-{queue.Index}", mergeUdp));
            }
            else
            {
                loops.Add(new OutboundLoop(queue, socket, router, Counters, options.BatchSize, mtu, $"tun-to-udp-{queue.Index}"));
                loops.Add(new InboundLoop(socket, queue, receiver, Counters, options.BatchSize, mtu, $"udp-to-tun-{queue.Index}"));
            }
            for (int i = loopsBefore; i < loops.Count; i++)
            {
                queueSlotOfLoop[loops[i]] = (queue.Index, i - loopsBefore);
            }
        }
        UdpBatchSocket first = _sockets[0];
        logger.DataPlaneMode(_tun.Queues.Count, offload ? $"TUN {_tun.OffloadFlagsEnabled}" : "off",
            first.GsoEnabled ? "on" : $"off{Reason(first.GsoDisabledReason)}",
            first.GroEnabled ? "on" : $"off{Reason(first.GroUnavailableReason)}",
            first.ReceiveBufferBytes, first.SendBufferBytes);
        Action<IForwardingLoop>? onThreadStart = null;
        if (options.Cpus.Count > 0)
        {
            // Both directions of a queue on one CPU: a request and its reply are then handed between two threads
            // of the same CPU instead of waking the other one (measured: ping-pong p50 about a third lower).
            int CpuOf(int queue) => options.Cpus[queue % options.Cpus.Count];
            logger.ForwardingThreadsPinned(string.Join(", ", _tun.Queues.Select(q => $"queue {q.Index} on CPU {CpuOf(q.Index)}")));
            onThreadStart = loop => CpuAffinity.PinCurrentThread(CpuOf(queueSlotOfLoop[loop].Queue));
        }
        else if (options.PinWhenLight && CpuAffinity.AllowedCpus(Environment.ProcessId) is { Count: >= 2 } allowed)
        {
            var pinning = new LightLoadPinning(allowed, bindAddress, _tun.Queues.Count, Counters, logger);
            logger.LightLoadPinning(pinning.Describe());
            onThreadStart = loop => pinning.RegisterCurrentThread(queueSlotOfLoop[loop].Queue, queueSlotOfLoop[loop].Slot);
            _pinning = pinning;
        }
        foreach (UdpBatchSocket socket in _sockets)
        {
            ushort port = socket.LocalPort;
            socket.GsoDisabled += reason => logger.GsoFellBack(port, reason);
        }
        // A loop that ends on its own says which call failed, with its errno, from the queue or socket it drove.
        void Explain(IForwardingLoop loop, Exception fault)
        {
            if (fault is LoopEndedException ended && queueSlotOfLoop.TryGetValue(loop, out (int Queue, int Slot) place))
            {
                string? cause = place.Slot == 0
                    ? _tun.Queues[place.Queue].FaultDescription ?? _sockets[place.Queue].FaultDescription
                    : _sockets[place.Queue].FaultDescription ?? _tun.Queues[place.Queue].FaultDescription;
                fault = new LoopEndedException(ended.LoopName, cause ?? "its TUN queue and UDP socket report no fault; a shutdown raced it");
            }
            onFault(loop, fault);
        }
        _reactor = new Reactor(loops, Explain, onThreadStart);
        _reactor.Start();
        _pinning?.Start();
    }

    /// <summary>Wakes every blocked loop and waits for the threads; the fds stay open until <see cref="Dispose"/>.</summary>
    public void Stop()
    {
        // Sampling ends first, so it never moves a thread that is being joined.
        _pinning?.Dispose();
        _reactor?.BeginStop();
        _shutdown.Signal();
        _reactor?.Join(TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        Stop();
        foreach (UdpBatchSocket socket in _sockets)
        {
            socket.Dispose();
        }
        _tun.Dispose();
        _shutdown.Dispose();
    }

    private static TunDevice CreateTun(string nameTemplate, DaemonOptions options, ShutdownSignal shutdown, ILogger logger)
    {
        if (options.Offload)
        {
            try
            {
                return TunDevice.Create(nameTemplate, shutdown, new TunOptions { Offload = true, Queues = options.Queues });
            }
            catch (SystemCallException e)
            {
                logger.OffloadUnavailable(e.Message);
            }
        }
        return TunDevice.Create(nameTemplate, shutdown, new TunOptions { Queues = options.Queues });
    }

    private static int SegmentsPerBatch(DaemonOptions options) => Math.Max(options.BatchSize, 128);

    private static string Reason(string? reason) => reason is null ? "" : $" ({reason})";
}
