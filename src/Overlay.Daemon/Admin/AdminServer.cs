using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Daemon.Options;
using Overlay.Linux;

namespace Overlay.Daemon.Admin;

/// <summary>
/// The daemon's local admin endpoint: a Unix domain stream socket that <c>overlayctl</c> talks to (protocol in
/// <see cref="AdminRequest"/>). Each connection is one request served on its own task; nothing here runs on a
/// forwarding thread.
/// </summary>
/// <remarks>
/// The socket file is created mode 0600 (root only: capture shows every packet), replacing a stale file left by a
/// crashed daemon, and removed on dispose. At most <see cref="MaxConnections"/> clients are served at once.
/// </remarks>
public sealed class AdminServer : IAsyncDisposable
{
    public const string DefaultSocketPath = "/run/flannel/overlayd.sock";

    public const int MaxConnections = 16;

    /// <summary>How long dispose waits for open connections (a running capture, say) to notice the stop.</summary>
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(2);

    private readonly Socket _listener;
    private readonly AdminSources _sources;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly HashSet<Task> _connections = [];
    private bool _disposed;

    private AdminServer(string socketPath, Socket listener, AdminSources sources, ILogger logger)
    {
        SocketPath = socketPath;
        _listener = listener;
        _sources = sources;
        _logger = logger;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public string SocketPath { get; }

    /// <summary>
    /// Binds <paramref name="socketPath"/> (creating its directory) and starts accepting. Throws when the path
    /// cannot be bound, so the daemon reports it at startup rather than serving nothing.
    /// </summary>
    public static AdminServer Start(string socketPath, AdminSources sources, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(sources);
        logger ??= NullLogger.Instance;
        string? directory = Path.GetDirectoryName(Path.GetFullPath(socketPath));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        if (File.Exists(socketPath))
        {
            // A socket nobody listens on is left over from a daemon that died; one that answers belongs to a running
            // daemon, whose overlayctl clients would be silently taken over if it were replaced. Anything else at
            // the path is not ours to delete.
            if (!FileKind.IsSocket(socketPath))
            {
                throw new OptionsException("admin-socket", $"-admin-socket: {socketPath} exists and is not a socket; remove it or choose another -admin-socket path");
            }
            SocketError probe = Probe(socketPath);
            if (probe != SocketError.ConnectionRefused)
            {
                throw probe == SocketError.Success ? InUse(socketPath) : new OptionsException(
                    "admin-socket", $"-admin-socket: cannot tell whether {socketPath} is in use ({probe}); remove it if no overlayd runs, or choose another path");
            }
            File.Delete(socketPath);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            try
            {
                listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                // Another daemon bound it between the check above and here.
                throw InUse(socketPath);
            }
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            listener.Listen(MaxConnections);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
        logger.Listening(socketPath);
        return new AdminServer(socketPath, listener, sources, logger);
    }

    /// <summary>
    /// Connects without blocking: Success or a full backlog (WouldBlock) means a live listener, ConnectionRefused a
    /// leftover socket, anything else (no permission, say) is reported as it is.
    /// </summary>
    private static SocketError Probe(string socketPath)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(socketPath));
            return SocketError.Success;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            return SocketError.Success;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode;
        }
    }

    private static OptionsException InUse(string socketPath) => new(
        "admin-socket",
        $"-admin-socket: {socketPath} is in use by another running process (another overlayd on this host?); give each daemon its own -admin-socket path, or -admin-socket= to run without one");

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] open;
        lock (_connections)
        {
            open = [.. _connections];
        }
        await Task.WhenAll(open).WaitAsync(s_drainTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            lock (_connections)
            {
                if (_connections.Count >= MaxConnections)
                {
                    _logger.TooManyConnections(_connections.Count);
                    client.Dispose();
                    continue;
                }
                Task served = ServeAsync(client);
                _connections.Add(served);
                _ = served.ContinueWith(Forget, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }

    private static void Forget(Task served, object? state)
    {
        var server = (AdminServer)state!;
        lock (server._connections)
        {
            server._connections.Remove(served);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        await Task.Yield();
        var stream = new NetworkStream(client, ownsSocket: true);
        await using (stream.ConfigureAwait(false))
        {
            PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            PipeWriter output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
            try
            {
                await new AdminConnection(input, output, _sources, _logger).RunAsync(_stopping.Token).ConfigureAwait(false);
                await output.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException)
            {
                // The client hung up or the daemon is stopping: nothing to answer.
            }
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }
}
