using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Leases;
using Overlay.ControlPlane.SubnetEnv;
using Overlay.Daemon.Log;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;
using Overlay.Linux;
using Overlay.Linux.Netlink;
using Overlay.Linux.Masquerade;

namespace Overlay.Daemon.Hosting;

/// <summary>
/// The one owner of everything on this host that is derived from the subnet lease: the TUN device's /32, the
/// source address of ICMP replies, the masquerade rules and subnet.env. When the lease moves (another host took the
/// subnet while this one's key was gone) all of them move together, so nothing keeps naming the old subnet.
/// flanneld exits instead ("lease has been revoked"); overlayd keeps forwarding and says which pods must be recreated.
/// </summary>
internal sealed class LeaseBinding(
    RouteNetlink netlink, int tunIndex, string device, OutboundProcessor router, NetworkConfig config, int mtu,
    string subnetFile, bool ipMasquerade, ILogger logger)
{
    private Ipv4Subnet? _subnet;

    /// <summary>The subnet every derived setting names now; null until <see cref="Bind"/>.</summary>
    public Ipv4Subnet? Subnet => _subnet;

    /// <summary>The -ip-masq rules, once installed; moved with the lease.</summary>
    public MasqueradeKeeper? Masquerade { get; set; }

    /// <summary>Addresses the TUN device and the ICMP source for the first lease (subnet.env comes after the rules).</summary>
    public void Bind(Lease lease)
    {
        netlink.AddAddress(tunIndex, lease.Subnet.Network, 32);
        router.LocalAddress = lease.Subnet.Network;
        _subnet = lease.Subnet;
    }

    /// <summary>
    /// The lease moved to another subnet. New address first, so the device is never without one; subnet.env last,
    /// so a CNI call that reads it finds the rules for its subnet already in place.
    /// </summary>
    public void Move(Lease moved)
    {
        Ipv4Subnet old = _subnet ?? throw new InvalidOperationException("the lease moved before it was bound");
        if (moved.Subnet == old)
        {
            return;
        }
        logger.LeaseChanged(old.ToString(), moved.Subnet.ToString(), device);
        netlink.AddAddress(tunIndex, moved.Subnet.Network, 32);
        router.LocalAddress = moved.Subnet.Network;
        if (netlink.DeleteAddress(tunIndex, old.Network, 32))
        {
            logger.OldAddressRemoved(device, Ipv4.Format(old.Network));
        }
        _subnet = moved.Subnet;
        if (Masquerade is { } masquerade)
        {
            try
            {
                masquerade.MoveTo(moved.Subnet);
            }
            catch (MasqueradeException e)
            {
                logger.MasqueradeMoveFailed(moved.Subnet.ToString(), e.Message);
            }
        }
        WriteSubnetFile();
        logger.PodsHoldOldSubnet(old.ToString(), moved.Subnet.ToString());
    }

    /// <summary>
    /// Writes subnet.env atomically for the current subnet. A failure here is logged and forwarding goes on, as
    /// flanneld does; that the directory is writable was checked before anything was changed.
    /// </summary>
    public void WriteSubnetFile()
    {
        Ipv4Subnet subnet = _subnet ?? throw new InvalidOperationException("no lease bound yet");
        try
        {
            SubnetEnvFile.Write(subnetFile, config.Network, subnet, mtu, ipMasquerade);
            logger.SubnetFileWritten(subnetFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.SubnetFileFailed(subnetFile, e.Message);
        }
    }
}
