using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;

namespace Overlay.Ctl.Daemon;

/// <summary>
/// The client end of the daemon's admin protocol: one connection per request. Sends the request line, reads the
/// status line (<c>ok</c> or <c>error MESSAGE</c>), and hands back the body as a <see cref="PipeReader"/>.
/// </summary>
internal static class AdminClient
{
    private const int MaxStatusLineLength = 4096;

    /// <summary>Sends <paramref name="request"/>; throws <see cref="DaemonUnreachableException"/> with a hint on any failure.</summary>
    public static async Task<AdminResponse> SendAsync(string socketPath, string request, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        NetworkStream? stream = null;
        AdminResponse? response = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            PipeWriter output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
            await output.WriteAsync(Encoding.UTF8.GetBytes(request + "\n"), cancellationToken).ConfigureAwait(false);
            PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            string status = await ReadStatusLineAsync(input, socketPath, cancellationToken).ConfigureAwait(false);
            if (status.StartsWith("error ", StringComparison.Ordinal))
            {
                throw new DaemonUnreachableException($"overlayd at {socketPath} refused '{request}': {status["error ".Length..]}");
            }
            if (status != "ok")
            {
                throw new DaemonUnreachableException($"{socketPath} answered '{status}', not the overlayd admin protocol");
            }
            response = new AdminResponse(stream, input, output);
            return response;
        }
        catch (SocketException e)
        {
            // A missing socket file surfaces as an unhelpful errno text; say what is actually wrong.
            string reason = File.Exists(socketPath) ? e.Message : "no such socket";
            throw new DaemonUnreachableException(
                $"cannot reach overlayd at {socketPath}: {reason}. Is overlayd running on this host, and are you root? " +
                "Pass -socket PATH if it listens elsewhere.", e);
        }
        catch (IOException e)
        {
            throw new DaemonUnreachableException($"overlayd at {socketPath} closed the connection: {e.Message}", e);
        }
        finally
        {
            if (response is null)
            {
                if (stream is not null)
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
                socket.Dispose();
            }
        }
    }

    private static async Task<string> ReadStatusLineAsync(PipeReader input, string socketPath, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                string text = Encoding.UTF8.GetString(line).TrimEnd('\r');
                input.AdvanceTo(reader.Position);
                return text;
            }
            if (result.IsCompleted || buffer.Length > MaxStatusLineLength)
            {
                input.AdvanceTo(buffer.End);
                throw new DaemonUnreachableException($"{socketPath} closed the connection without answering");
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
