namespace Overlay.Daemon.Hosting;

/// <summary>A network interface as interface selection sees it. Addresses are IPv4, host byte order, first one first.</summary>
internal sealed record HostInterface(string Name, int Index, int Mtu, IReadOnlyList<uint> Addresses);

/// <summary>The chosen external interface: where the UDP socket binds, what peers are told, and the MTU to derive from.</summary>
internal sealed record SelectedInterface(HostInterface Interface, uint InterfaceAddress, uint PublicAddress);
