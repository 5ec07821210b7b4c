using Overlay.ControlPlane.Etcd;

namespace Overlay.ControlPlane.Leases;

/// <summary>What the own-key watch saw: the key's new state (a Put or a Delete) for the lease key it watches.</summary>
internal sealed record OwnKeyChange(string Key, KeyEvent Change);
