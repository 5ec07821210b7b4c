namespace Overlay.Linux.Tun;

/// <summary>How <see cref="TunDevice.Create(string, ShutdownSignal, TunOptions)"/> opens the device.</summary>
public sealed record TunOptions
{
    /// <summary>One queue, no offloads: every read and write is one bare IP packet, as flannel's TUN.</summary>
    public static TunOptions Plain { get; } = new();

    /// <summary>
    /// Open with IFF_VNET_HDR and enable checksum and TCP segmentation offload (TSO4, TSO6, TSO with ECN), so reads
    /// may return superpackets of up to 64 KiB described by <see cref="Overlay.DataPlane.Buffers.OffloadInfo"/>, and
    /// writes may hand the kernel coalesced ones. Read batches then need slots of at least
    /// <see cref="TunQueue.OffloadSlotBytes"/>.
    /// </summary>
    public bool Offload { get; init; }

    /// <summary>
    /// With <see cref="Offload"/>, also try UDP segmentation offload (Linux 6.2+), so UDP superpackets
    /// (<see cref="Overlay.DataPlane.Buffers.GsoType.UdpL4"/>) reach the reader unsegmented. Turn it off when the
    /// reader cannot split UDP superpackets; the kernel then segments them before the TUN.
    /// </summary>
    public bool Uso { get; init; } = true;

    /// <summary>Queues (fds) of the device, 1 to 256; more than one opens it with IFF_MULTI_QUEUE.</summary>
    public int Queues { get; init; } = 1;
}
