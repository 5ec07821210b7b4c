namespace Overlay.ControlPlane;

/// <summary>
/// What the control plane needs from the daemon's flags: the public IPv4 address written into the lease (host
/// byte order), the subnet.env path (read at startup to reuse the previous subnet), and how long before expiry
/// the lease is renewed (-subnet-lease-renew-margin, 1 to 1439 minutes; flanneld's default is 60).
/// </summary>
public sealed record ControlPlaneOptions(uint PublicIp, string SubnetFilePath, TimeSpan RenewMargin)
{
    public static readonly TimeSpan DefaultRenewMargin = TimeSpan.FromMinutes(60);

    public static readonly TimeSpan MinRenewMargin = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaxRenewMargin = TimeSpan.FromMinutes(1439);
}
