using System.Globalization;
using Overlay.Ctl.Daemon;
using Overlay.Ctl.Drift;
using Overlay.DataPlane.Routing;

namespace Overlay.Ctl.Commands;

/// <summary>
/// <c>routes</c> and <c>leases</c>: the daemon's route table and etcd's leases side by side. etcd is read directly
/// with -etcd-endpoints, otherwise through the daemon's own registry; if etcd cannot be read, the daemon's side is
/// still printed, with a note.
/// </summary>
internal static class DriftCommands
{
    public static async Task<int> RoutesAsync(CtlArguments args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        IReadOnlyList<Route> routes = await DaemonQueries.RoutesAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        Ipv4Subnet? local = await DaemonQueries.LocalSubnetAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        var etcd = await TryEtcdAsync(args, stderr, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<SubnetView> views = SubnetJoin.Join(routes, etcd ?? [], local);
        string etcdHeader = etcd is null ? "ETCD (unavailable)" : "ETCD PUBLIC IP";
        await stdout.WriteLineAsync($"{"SUBNET",-20}{"DAEMON NEXT HOP",-24}{etcdHeader,-20}STATE").ConfigureAwait(false);
        foreach (SubnetView view in views)
        {
            string state = etcd is null ? "-" : view.State;
            await stdout.WriteLineAsync(
                $"{view.Subnet,-20}{view.DaemonNextHop?.ToString() ?? "-",-24}{FormatIp(view.EtcdPublicIp),-20}{state}").ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> LeasesAsync(CtlArguments args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        var etcd = await TryEtcdAsync(args, stderr, cancellationToken).ConfigureAwait(false);
        if (etcd is null)
        {
            return ExitCodes.DaemonUnreachable;
        }
        IReadOnlyList<Route> routes = await DaemonQueries.RoutesAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        Ipv4Subnet? local = await DaemonQueries.LocalSubnetAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync($"{"SUBNET",-20}{"PUBLIC IP",-18}{"ETCD LEASE",-20}{"DAEMON NEXT HOP",-24}STATE").ConfigureAwait(false);
        foreach (SubnetView view in SubnetJoin.Join(routes, etcd, local))
        {
            string lease = view.EtcdLeaseId switch
            {
                null => "-",
                0 => "reservation",
                long id => id.ToString("x", CultureInfo.InvariantCulture),
            };
            await stdout.WriteLineAsync(
                $"{view.Subnet,-20}{FormatIp(view.EtcdPublicIp),-18}{lease,-20}{view.DaemonNextHop?.ToString() ?? "-",-24}{view.State}").ConfigureAwait(false);
        }
        return ExitCodes.Ok;
    }

    private static async Task<IReadOnlyList<(Ipv4Subnet Subnet, uint PublicIp, long LeaseId)>?> TryEtcdAsync(CtlArguments args, TextWriter stderr, CancellationToken cancellationToken)
    {
        try
        {
            return args.EtcdEndpoints is { } endpoints
                ? await EtcdLeases.ListAsync(endpoints, args.EtcdPrefix, cancellationToken).ConfigureAwait(false)
                : await DaemonQueries.LeasesAsync(args.SocketPath, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            string source = args.EtcdEndpoints is null ? "through the daemon (pass -etcd-endpoints to read etcd directly)" : $"at {args.EtcdEndpoints}";
            await stderr.WriteLineAsync($"overlayctl: could not read leases from etcd {source}: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    private static string FormatIp(uint? address) => address is uint a ? Ipv4.Format(a) : "-";
}
