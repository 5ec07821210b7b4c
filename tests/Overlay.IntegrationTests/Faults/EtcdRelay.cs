using System.Net;
using System.Net.Sockets;
using Overlay.Linux;

namespace Overlay.IntegrationTests.Faults;

/// <summary>
/// A TCP relay inside a host namespace, placed between the daemons and etcd, that a test can cut and restore.
/// Cutting stops listening and closes every relayed connection, so the daemons lose etcd and cannot reconnect,
/// while etcd itself stays up for etcdctl. Sockets are created only on the relay's own thread, which has entered
/// the namespace; relayed bytes are pumped asynchronously (an open socket works from any thread).
/// </summary>
internal sealed class EtcdRelay : IDisposable
{
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(2);

    private readonly string _netns;
    private readonly IPEndPoint _listen;
    private readonly IPEndPoint _upstream;
    private readonly Lock _lock = new();
    private readonly List<Socket> _open = [];
    private Socket? _listener;
    private Thread? _acceptThread;
    private int _accepted;

    private EtcdRelay(string netns, IPEndPoint listen, IPEndPoint upstream)
    {
        _netns = netns;
        _listen = listen;
        _upstream = upstream;
    }

    /// <summary>The URL clients use instead of etcd's own, e.g. http://198.18.0.1:2479.</summary>
    public string Endpoint => $"http://{_listen}";

    /// <summary>How many client connections the relay has accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    public static EtcdRelay Start(string netns, IPEndPoint listen, IPEndPoint upstream)
    {
        var relay = new EtcdRelay(netns, listen, upstream);
        relay.Restore();
        return relay;
    }

    /// <summary>Listens again on the same address (after <see cref="Cut"/>); returns once the listener is up.</summary>
    public void Restore()
    {
        using var listening = new ManualResetEventSlim();
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                NetworkNamespace.EnterForCurrentThread(_netns);
                var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Bind(_listen);
                listener.Listen(16);
                lock (_lock)
                {
                    _listener = listener;
                }
            }
            catch (Exception e) when (e is SocketException or SystemCallException)
            {
                failure = e;
                return;
            }
            finally
            {
                listening.Set();
            }
            AcceptUntilCut();
        })
        {
            IsBackground = true,
            Name = "etcd-relay-" + _netns,
        };
        thread.Start();
        if (!listening.Wait(TimeSpan.FromSeconds(10)) || failure is not null)
        {
            throw new InvalidOperationException($"the etcd relay could not listen on {_listen} in {_netns}", failure);
        }
        _acceptThread = thread;
    }

    /// <summary>Stops listening and closes every relayed connection: from now on connecting is refused.</summary>
    public void Cut()
    {
        Socket[] open;
        lock (_lock)
        {
            _listener?.Dispose();
            _listener = null;
            open = [.. _open];
            _open.Clear();
        }
        foreach (Socket socket in open)
        {
            socket.Dispose();
        }
        _acceptThread?.Join(TimeSpan.FromSeconds(5));
        _acceptThread = null;
    }

    private void AcceptUntilCut()
    {
        while (true)
        {
            Socket? listener;
            lock (_lock)
            {
                listener = _listener;
            }
            if (listener is null)
            {
                return;
            }
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            // The upstream socket must be made here, on the thread inside the namespace.
            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                IAsyncResult connecting = upstream.BeginConnect(_upstream, null, null);
                if (!connecting.AsyncWaitHandle.WaitOne(s_connectTimeout))
                {
                    throw new SocketException((int)SocketError.TimedOut);
                }
                upstream.EndConnect(connecting);
            }
            catch (SocketException)
            {
                // etcd is down: the client sees its connection close, as if etcd had refused it.
                upstream.Dispose();
                client.Dispose();
                continue;
            }
            lock (_lock)
            {
                _open.Add(client);
                _open.Add(upstream);
            }
            _ = PumpAsync(client, upstream);
            _ = PumpAsync(upstream, client);
        }
    }

    private static async Task PumpAsync(Socket from, Socket to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // One side went away (or the relay was cut): close both below.
        }
        from.Dispose();
        to.Dispose();
    }

    public void Dispose() => Cut();
}
