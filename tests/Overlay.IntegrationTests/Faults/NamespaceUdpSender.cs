using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Overlay.Linux;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// Sends raw UDP payloads from inside a host namespace: a dedicated thread enters the namespace, so the socket it
/// opens lives there, and the thread ends with the work. Paced in bursts so the receiver's socket buffer, not the
/// sender, decides what is lost, and bounded in time.
/// </summary>
internal static class NamespaceUdpSender
{
    /// <summary>Sends the payloads in order, sleeping 1 ms after every <paramref name="burst"/>; returns how many of each kind went out.</summary>
    public static IReadOnlyDictionary<HostileKind, int> Send(string netns, IPEndPoint target, IReadOnlyList<HostileDatagram> datagrams,
        int burst, TimeSpan timeout)
    {
        var sent = Enum.GetValues<HostileKind>().ToDictionary(kind => kind, _ => 0);
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespace.EnterForCurrentThread(netns);
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < datagrams.Count && clock.Elapsed < timeout; i++)
                {
                    socket.SendTo(datagrams[i].Payload, SocketFlags.None, target);
                    sent[datagrams[i].Kind]++;
                    if ((i + 1) % burst == 0)
                    {
                        Thread.Sleep(1);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or SystemCallException or InvalidOperationException)
            {
                failure = e;
            }
        })
        {
            IsBackground = true,
            Name = "udp-sender-" + netns,
        };
        thread.Start();
        if (!thread.Join(timeout + TimeSpan.FromSeconds(10)))
        {
            throw new TimeoutException($"the sender in {netns} did not finish within its time bound");
        }
        return failure is null ? sent : throw new InvalidOperationException($"sending from {netns} failed: {failure.Message}", failure);
    }
}
