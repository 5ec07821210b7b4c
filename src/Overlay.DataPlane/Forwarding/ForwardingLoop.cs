namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// What every forwarding loop shares: its name, and running <see cref="PumpOnce"/> until the source shuts down or a
/// stop is requested. A loop itself only says how one batch moves.
/// </summary>
public abstract class ForwardingLoop : IForwardingLoop
{
    private bool _stopRequested;

    /// <param name="name">Thread and log name.</param>
    protected ForwardingLoop(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    public string Name { get; }

    public abstract bool PumpOnce();

    public void Run()
    {
        while (!Volatile.Read(ref _stopRequested) && PumpOnce())
        {
        }
    }

    public void RequestStop() => Volatile.Write(ref _stopRequested, true);
}
