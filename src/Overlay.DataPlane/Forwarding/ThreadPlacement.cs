namespace Overlay.DataPlane.Forwarding;

/// <summary>Where a queue's two forwarding threads may run.</summary>
public enum ThreadPlacement
{
    /// <summary>On every CPU the process may use, wherever the scheduler puts them (the start state).</summary>
    Spread = 0,

    /// <summary>Both on one CPU, so a request and its reply are handed between threads of a CPU that is awake.</summary>
    Colocated = 1,
}
