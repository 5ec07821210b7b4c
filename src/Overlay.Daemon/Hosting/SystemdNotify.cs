using System.Net.Sockets;
using System.Text;

namespace Overlay.Daemon.Hosting;

/// <summary>sd_notify(READY=1) when started by systemd with Type=notify, as flanneld does once forwarding is up.</summary>
internal static class SystemdNotify
{
    public static void Ready()
    {
        string? path = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }
        // A leading '@' names an abstract socket.
        string address = path[0] == '@' ? "\0" + path[1..] : path;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(address));
            socket.Send(Encoding.ASCII.GetBytes("READY=1"));
        }
        catch (SocketException)
        {
            // Not fatal: systemd would time the unit out, which is the visible symptom an operator needs.
        }
    }
}
