namespace Overlay.ControlPlane.Leases;

/// <summary>
/// No lease could be had for a reason retrying will not fix by itself: the configured range is full ("out of
/// subnets"), or every attempt lost a creation race.
/// </summary>
public sealed class LeaseAcquisitionException : Exception
{
    public LeaseAcquisitionException()
        : base("could not acquire a subnet lease")
    {
    }

    public LeaseAcquisitionException(string message)
        : base(message)
    {
    }

    public LeaseAcquisitionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
