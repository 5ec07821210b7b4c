namespace Overlay.ControlPlane.Etcd;

/// <summary>A single key read: its current value as a Put event (null when absent) and the store revision.</summary>
public sealed record KeyLookup(KeyEvent? Current, long Revision);
