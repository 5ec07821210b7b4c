using System.Text.Json;
using Overlay.DataPlane.Routing;

namespace Overlay.Ctl.Daemon;

/// <summary>The JSON-line requests of the admin protocol, decoded into data-plane types.</summary>
internal static class DaemonQueries
{
    public static async Task<IReadOnlyList<Route>> RoutesAsync(string socketPath, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonElement> lines = await RequestLinesAsync(socketPath, "routes", cancellationToken).ConfigureAwait(false);
        return [.. lines.Select(line => new Route(
            Ipv4Subnet.Parse(line.GetProperty("subnet").GetString()!),
            new PeerEndpoint(Ipv4.Parse(line.GetProperty("publicIp").GetString()!), line.GetProperty("port").GetUInt16())))];
    }

    /// <summary>The leases the daemon itself reads from etcd.</summary>
    public static async Task<IReadOnlyList<(Ipv4Subnet Subnet, uint PublicIp, long LeaseId)>> LeasesAsync(string socketPath, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonElement> lines = await RequestLinesAsync(socketPath, "leases", cancellationToken).ConfigureAwait(false);
        return [.. lines.Select(line => (
            Ipv4Subnet.Parse(line.GetProperty("subnet").GetString()!),
            Ipv4.Parse(line.GetProperty("publicIp").GetString()!),
            line.GetProperty("etcdLeaseId").GetInt64()))];
    }

    /// <summary>The daemon's own lease (from its stats answer), null while it holds none.</summary>
    public static async Task<Ipv4Subnet?> LocalSubnetAsync(string socketPath, CancellationToken cancellationToken)
    {
        JsonElement stats = await StatsAsync(socketPath, cancellationToken).ConfigureAwait(false);
        return stats.TryGetProperty("localSubnet", out JsonElement local) && local.ValueKind == JsonValueKind.String
            ? Ipv4Subnet.Parse(local.GetString()!)
            : null;
    }

    public static async Task<JsonElement> StatsAsync(string socketPath, CancellationToken cancellationToken)
    {
        IReadOnlyList<JsonElement> lines = await RequestLinesAsync(socketPath, "stats", cancellationToken).ConfigureAwait(false);
        return lines.Count == 1 ? lines[0] : throw new DaemonUnreachableException($"overlayd at {socketPath} sent {lines.Count} stats lines, expected 1");
    }

    private static async Task<IReadOnlyList<JsonElement>> RequestLinesAsync(string socketPath, string request, CancellationToken cancellationToken)
    {
        AdminResponse response = await AdminClient.SendAsync(socketPath, request, cancellationToken).ConfigureAwait(false);
        await using (response.ConfigureAwait(false))
        {
            try
            {
                return await response.ReadJsonLinesAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                throw new DaemonUnreachableException($"overlayd at {socketPath} sent a malformed '{request}' answer: {e.Message}", e);
            }
        }
    }
}
