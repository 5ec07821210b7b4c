namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// One classified etcd failure: what went wrong in an operator's words, and what to change. <see cref="Vague"/>
/// marks a failure that carries no cause of its own (a bare deadline): it says nothing new about a known problem.
/// </summary>
public sealed record EtcdFailure(EtcdFailureKind Kind, string Cause, string Fix, bool Vague = false)
{
    /// <summary>
    /// Whether two failures are the same problem for logging: the same kind, and for unrecognised failures the same
    /// words too (they have nothing else to tell them apart).
    /// </summary>
    public bool IsSameProblem(EtcdFailure other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Kind == other.Kind && (Kind != EtcdFailureKind.Other || Cause == other.Cause);
    }
}
