namespace Overlay.DataPlane.Forwarding;

/// <summary>
/// One direction of forwarding over one queue, driven by exactly one thread: a <see cref="Reactor"/> thread calling
/// <see cref="Run"/>, or a test calling <see cref="PumpOnce"/> on its own thread.
/// </summary>
public interface IForwardingLoop
{
    /// <summary>A short name for the loop's thread and for logs, e.g. "tun-to-udp-0".</summary>
    string Name { get; }

    /// <summary>
    /// Moves one batch from the source to its destinations and adds the batch's counts to the shared counters.
    /// Blocks while the source has nothing. Returns false, having moved nothing, once the source shuts down.
    /// </summary>
    bool PumpOnce();

    /// <summary>Calls <see cref="PumpOnce"/> until it returns false or <see cref="RequestStop"/> has been called.</summary>
    void Run();

    /// <summary>
    /// Asks <see cref="Run"/> to return after the current batch. Safe from any thread. A loop blocked waiting for
    /// packets only notices once its source wakes it, so shut the source down as well.
    /// </summary>
    void RequestStop();
}
