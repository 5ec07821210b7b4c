using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Capture;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Admin;

/// <summary>
/// Serves one client: reads its request line, writes the status line and body, and returns. Both directions go
/// through System.IO.Pipelines over the connected socket's stream.
/// </summary>
internal sealed class AdminConnection
{
    /// <summary>A client that connects and says nothing is dropped after this long.</summary>
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(5);

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly AdminSources _sources;
    private readonly ILogger _logger;

    public AdminConnection(PipeReader input, PipeWriter output, AdminSources sources, ILogger logger)
    {
        _input = input;
        _output = output;
        _sources = sources;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        string? line;
        using (var requestDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            requestDeadline.CancelAfter(s_requestTimeout);
            line = await ReadLineAsync(requestDeadline.Token).ConfigureAwait(false);
        }
        if (line is null)
        {
            await WriteErrorAsync("", $"no request line (at most {AdminRequest.MaxLineLength} bytes, ending in a newline)", cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!AdminRequest.TryParse(line, out AdminRequest? request, out string? error))
        {
            await WriteErrorAsync(line, error!, cancellationToken).ConfigureAwait(false);
            return;
        }
        switch (request!.Verb)
        {
            case AdminVerb.Routes:
                WriteStatus(AdminRequest.OkLine);
                foreach (Route route in _sources.Routes().Routes)
                {
                    AdminJson.WriteRoute(_output, route);
                }
                break;
            case AdminVerb.Stats:
                RouteTable table = _sources.Routes();
                WriteStatus(AdminRequest.OkLine);
                // Peers first: under traffic the host totals read a moment later then include what the peer rows
                // show (except sends the kernel refused, which peers count as sent and the host as SendFailed).
                IReadOnlyList<PeerTraffic> peers = _sources.Peers?.Snapshot(table) ?? [];
                AdminJson.WriteStats(_output, new StatsAnswer(_sources.Stats(), table.Count, peers, _sources.LocalSubnet?.Invoke()), _sources.Capture);
                break;
            case AdminVerb.Leases:
                await WriteLeasesAsync(line, cancellationToken).ConfigureAwait(false);
                break;
            case AdminVerb.Capture:
                await CaptureAsync(line, request.Count, cancellationToken).ConfigureAwait(false);
                break;
        }
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLeasesAsync(string line, CancellationToken cancellationToken)
    {
        if (_sources.Leases is null)
        {
            await WriteErrorAsync(line, "this daemon has no etcd registry to list leases from", cancellationToken).ConfigureAwait(false);
            return;
        }
        LeaseListing listing;
        try
        {
            listing = await _sources.Leases(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await WriteErrorAsync(line, $"listing leases from etcd failed: {e.Message}", cancellationToken).ConfigureAwait(false);
            return;
        }
        WriteStatus(AdminRequest.OkLine);
        foreach (SubnetLease lease in listing.Leases)
        {
            AdminJson.WriteLease(_output, lease);
        }
    }

    private async Task CaptureAsync(string line, int count, CancellationToken cancellationToken)
    {
        if (!_sources.Capture.TryStartSession(out CaptureSession? session))
        {
            await WriteErrorAsync(line, "another capture is already running; only one at a time", cancellationToken).ConfigureAwait(false);
            return;
        }
        using (session)
        using (var clientGone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            _logger.CaptureStarted(count);
            WriteStatus(AdminRequest.OkLine);
            // The client sends nothing more; end of its input means it hung up, so stop copying packets for it.
            Task watch = WatchForHangUpAsync(clientGone);
            try
            {
                await CaptureStreamer.StreamAsync(session!, _output, count, clientGone.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                await clientGone.CancelAsync().ConfigureAwait(false);
                await watch.ConfigureAwait(false);
                _logger.CaptureEnded(session!.Captured, session.Skipped);
            }
        }
    }

    private async Task WatchForHangUpAsync(CancellationTokenSource clientGone)
    {
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(clientGone.Token).ConfigureAwait(false);
                _input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (IOException)
        {
        }
        await clientGone.CancelAsync().ConfigureAwait(false);
    }

    /// <summary>The first line of input, or null if the client ends or exceeds the limit without one.</summary>
    private async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n') && line.Length < AdminRequest.MaxLineLength)
            {
                string text = Encoding.UTF8.GetString(line);
                _input.AdvanceTo(reader.Position);
                return text;
            }
            if (buffer.Length >= AdminRequest.MaxLineLength || result.IsCompleted || result.IsCanceled)
            {
                _input.AdvanceTo(buffer.End);
                return null;
            }
            _input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async Task WriteErrorAsync(string line, string message, CancellationToken cancellationToken)
    {
        _logger.RequestFailed(line, message);
        WriteStatus(AdminRequest.ErrorPrefix + message.ReplaceLineEndings(" "));
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private void WriteStatus(string status)
    {
        int length = Encoding.UTF8.GetByteCount(status);
        Span<byte> destination = _output.GetSpan(length + 1);
        Encoding.UTF8.GetBytes(status, destination);
        destination[length] = (byte)'\n';
        _output.Advance(length + 1);
    }
}
