using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace Overlay.Ctl.Daemon;

/// <summary>An accepted request's body, read through a pipe. Dispose to hang up (which also ends a capture).</summary>
internal sealed class AdminResponse : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly PipeWriter _output;

    public AdminResponse(Stream stream, PipeReader body, PipeWriter output)
    {
        _stream = stream;
        Body = body;
        _output = output;
    }

    public PipeReader Body { get; }

    /// <summary>Reads the body to its end as JSON lines, one document per line.</summary>
    public async Task<IReadOnlyList<JsonElement>> ReadJsonLinesAsync(CancellationToken cancellationToken)
    {
        var documents = new List<JsonElement>();
        while (true)
        {
            ReadResult result = await Body.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (!line.IsEmpty)
                {
                    var json = new Utf8JsonReader(line);
                    documents.Add(JsonElement.ParseValue(ref json));
                }
            }
            Body.AdvanceTo(reader.Position, buffer.End);
            if (result.IsCompleted)
            {
                return documents;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Body.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
