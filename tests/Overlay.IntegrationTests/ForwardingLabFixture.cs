namespace Overlay.IntegrationTests;

/// <summary>Three hosts; overlayd runs on hosts 1 and 2, host 3 is a bare machine hand-written leases can point at.</summary>
public sealed class ForwardingLabFixture : IDisposable
{
    internal OverlayLab Lab { get; }

    internal DaemonProcess First { get; }

    internal DaemonProcess Second { get; }

    internal string FirstTun { get; }

    internal string SecondTun { get; }

    public ForwardingLabFixture()
    {
        Lab = OverlayLab.Create(hosts: 3);
        try
        {
            First = Lab.StartDaemon(0, "-healthz-ip=127.0.0.1", "-healthz-port=8471");
            Second = Lab.StartDaemon(1);
            FirstTun = OverlayLab.TunAddress(First.WaitForSubnet(TimeSpan.FromSeconds(30)));
            SecondTun = OverlayLab.TunAddress(Second.WaitForSubnet(TimeSpan.FromSeconds(30)));
        }
        catch
        {
            Lab.Dispose();
            throw;
        }
    }

    public void Dispose() => Lab.Dispose();
}
