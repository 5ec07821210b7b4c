using System.Net;
using System.Net.Sockets;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// Tells whether another process holds the backend's UDP port before overlayd binds its own sockets. A plain bind
/// (no SO_REUSEPORT) fails while anyone holds the address, including a daemon whose queues share it through
/// SO_REUSEPORT, which the queue sockets' own binds would otherwise join silently.
/// </summary>
internal static class UdpPortProbe
{
    /// <exception cref="StartRefusedException">The port is in use, or cannot be bound at all.</exception>
    public static void ThrowIfInUse(uint address, ushort port)
    {
        string endpoint = $"{Ipv4.Format(address)}:{port}";
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Parse(Ipv4.Format(address)), port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new StartRefusedException(
                $"UDP {endpoint} (the network config's Backend.Port) is in use by another process (another overlayd or flanneld on this host?); " +
                "stop it, or run this daemon with its own -etcd-prefix whose config sets another Backend.Port", e);
        }
        catch (SocketException e)
        {
            throw new StartRefusedException($"UDP {endpoint} cannot be bound ({e.SocketErrorCode}: {e.Message}); check -iface and -public-ip", e);
        }
    }
}
