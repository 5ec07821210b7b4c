namespace Overlay.Linux.Udp;

/// <summary>How <see cref="UdpBatchSocket.Open(uint, ushort, int, ShutdownSignal, UdpSocketOptions)"/> sets up the socket.</summary>
public sealed record UdpSocketOptions
{
    /// <summary>Kernel defaults: no offloads, no port sharing, default buffer sizes.</summary>
    public static UdpSocketOptions Plain { get; } = new();

    /// <summary>
    /// Send runs of equal-size datagrams to one endpoint as one message with a UDP_SEGMENT cmsg (UDP GSO, Linux 4.18),
    /// so the kernel traverses its stack once per run instead of once per datagram. Falls back to plain sends for good
    /// when the kernel or the route refuses it (see <see cref="UdpBatchSocket.GsoDisabledReason"/>).
    /// </summary>
    public bool Gso { get; init; }

    /// <summary>
    /// Ask the kernel for coalesced receives (UDP_GRO): one message may carry up to 64 datagrams, which
    /// <see cref="UdpBatchSocket.Receive"/> splits back into slots. Costs <c>maxBatch</c> x 64 KiB of native memory.
    /// </summary>
    public bool Gro { get; init; }

    /// <summary>SO_REUSEPORT before bind, so several sockets (one per reactor queue) can bind the same address and port.</summary>
    public bool ReusePort { get; init; }

    /// <summary>SO_RCVBUF to ask for (FORCE variant first, to pass net.core.rmem_max as root); 0 keeps the default.</summary>
    public int ReceiveBufferBytes { get; init; }

    /// <summary>SO_SNDBUF to ask for (FORCE variant first); 0 keeps the default.</summary>
    public int SendBufferBytes { get; init; }
}
