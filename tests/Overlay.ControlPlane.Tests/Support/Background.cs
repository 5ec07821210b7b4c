namespace Overlay.ControlPlane.Tests.Support;

/// <summary>
/// A control-plane loop running for the length of a test. Disposing cancels it and checks it ended the only
/// way it may: with <see cref="OperationCanceledException"/>.
/// </summary>
public sealed class Background : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _task;

    public Background(Func<CancellationToken, Task> run) => _task = Task.Run(() => run(_stop.Token));

    public Task Task => _task;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Exception? ended = await Record.ExceptionAsync(() => _task.WaitAsync(TimeSpan.FromSeconds(15)));
        _stop.Dispose();
        Assert.IsAssignableFrom<OperationCanceledException>(ended);
    }
}
