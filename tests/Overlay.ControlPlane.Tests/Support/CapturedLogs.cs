using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Overlay.ControlPlane.Tests.Support;

/// <summary>A logger factory that keeps every line, so tests can assert on what an operator would read.</summary>
public sealed class CapturedLogs : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<CapturedLine> _lines = new();

    public IReadOnlyList<CapturedLine> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public bool Contains(string text) => _lines.Any(l => l.Message.Contains(text, StringComparison.Ordinal));

    public int Count(string text) => _lines.Count(l => l.Message.Contains(text, StringComparison.Ordinal));

    public override string ToString() => string.Join(Environment.NewLine, _lines.Select(l => $"{l.Level} {l.Category}: {l.Message}"));

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue(new CapturedLine(logLevel, eventId.Id, category, formatter(state, exception)));
    }
}

public sealed record CapturedLine(LogLevel Level, int EventId, string Category, string Message);
