using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Overlay.Linux;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// Small UDP datagrams sent one after another from inside a host namespace, as fast as the sender can up to a
/// ceiling rate, bounded in time and in count. A dedicated thread enters the namespace, so its socket lives there;
/// the socket is not connected, so ICMP errors coming back do not stop it.
/// </summary>
internal sealed class UdpFlood
{
    private readonly Thread _thread;
    private readonly TimeSpan _duration;
    private long _sent;
    private TimeSpan _elapsed;
    private Exception? _failure;

    private UdpFlood(string netns, IPEndPoint target, int perSecond, TimeSpan duration)
    {
        _duration = duration;
        _thread = new Thread(() => Run(netns, target, perSecond, duration))
        {
            IsBackground = true,
            Name = "udp-flood-" + netns,
        };
    }

    /// <summary>Starts sending 32-byte datagrams to <paramref name="target"/>: at most <paramref name="perSecond"/>
    /// a second on average, for <paramref name="duration"/>.</summary>
    public static UdpFlood Start(string netns, IPEndPoint target, int perSecond, TimeSpan duration)
    {
        var flood = new UdpFlood(netns, target, perSecond, duration);
        flood._thread.Start();
        return flood;
    }

    /// <summary>Waits for the flood to end and returns how many datagrams went out, and in how long.</summary>
    public (long Sent, TimeSpan Elapsed) Wait()
    {
        if (!_thread.Join(_duration + TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException("the UDP flood did not end within its time bound");
        }
        return _failure is null
            ? (_sent, _elapsed)
            : throw new InvalidOperationException("the UDP flood failed: " + _failure.Message, _failure);
    }

    private void Run(string netns, IPEndPoint target, int perSecond, TimeSpan duration)
    {
        try
        {
            NetworkNamespace.EnterForCurrentThread(netns);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            byte[] payload = new byte[32];
            long limit = (long)(perSecond * duration.TotalSeconds);
            long sent = 0;
            var clock = Stopwatch.StartNew();
            while (sent < limit && clock.Elapsed < duration)
            {
                socket.SendTo(payload, SocketFlags.None, target);
                sent++;
                // Every 64 datagrams, hold back while ahead of the ceiling rate.
                if (sent % 64 == 0 && sent > clock.Elapsed.TotalSeconds * perSecond)
                {
                    Thread.Sleep(1);
                }
            }
            _elapsed = clock.Elapsed;
            _sent = sent;
        }
        catch (Exception e) when (e is SocketException or SystemCallException or InvalidOperationException)
        {
            _failure = e;
        }
    }
}
