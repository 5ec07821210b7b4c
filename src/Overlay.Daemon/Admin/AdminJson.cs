using System.Buffers;
using System.Text.Json;
using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Capture;
using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Routing;

namespace Overlay.Daemon.Admin;

/// <summary>
/// The JSON lines the admin server answers with. Field names are part of the protocol overlayctl reads:
/// routes <c>{"subnet","publicIp","port"}</c>; leases <c>{"subnet","publicIp","key","etcdLeaseId","modRevision"}</c>;
/// stats <c>{"routes","localSubnet","captureEnabled","captureSkipped","forwarding":{...every ForwardingSnapshot total...},
/// "peers":[{"address","sentPackets","sentBytes","receivedPackets","receivedBytes"}]}</c> (localSubnet is null while
/// the daemon holds no lease).
/// </summary>
public static class AdminJson
{
    public static void WriteRoute(IBufferWriter<byte> output, Route route)
    {
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("subnet", route.Subnet.ToString());
        json.WriteString("publicIp", Ipv4.Format(route.NextHop.Address));
        json.WriteNumber("port", route.NextHop.Port);
        json.WriteEndObject();
        json.Flush();
        WriteNewline(output);
    }

    public static void WriteLease(IBufferWriter<byte> output, SubnetLease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteString("subnet", lease.Subnet.ToString());
        json.WriteString("publicIp", Ipv4.Format(lease.PublicIp));
        json.WriteString("key", lease.Key);
        json.WriteNumber("etcdLeaseId", lease.EtcdLeaseId);
        json.WriteNumber("modRevision", lease.ModRevision);
        json.WriteEndObject();
        json.Flush();
        WriteNewline(output);
    }

    public static void WriteStats(IBufferWriter<byte> output, StatsAnswer answer, CaptureTap capture)
    {
        ArgumentNullException.ThrowIfNull(answer);
        ArgumentNullException.ThrowIfNull(capture);
        using var json = new Utf8JsonWriter(output);
        json.WriteStartObject();
        json.WriteNumber("routes", answer.Routes);
        if (answer.LocalSubnet is { } local)
        {
            json.WriteString("localSubnet", local.ToString());
        }
        else
        {
            json.WriteNull("localSubnet");
        }
        json.WriteBoolean("captureEnabled", capture.IsEnabled);
        json.WriteNumber("captureSkipped", capture.Skipped);
        json.WritePropertyName("forwarding");
        // Generated metadata (AdminJsonContext) so every total the data plane adds later shows up without touching this file.
        JsonSerializer.Serialize(json, answer.Totals, AdminJsonContext.Default.ForwardingSnapshot);
        json.WriteStartArray("peers");
        foreach (PeerTraffic peer in answer.Peers)
        {
            json.WriteStartObject();
            json.WriteString("address", Ipv4.Format(peer.Address));
            json.WriteNumber("sentPackets", peer.SentPackets);
            json.WriteNumber("sentBytes", peer.SentBytes);
            json.WriteNumber("receivedPackets", peer.ReceivedPackets);
            json.WriteNumber("receivedBytes", peer.ReceivedBytes);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        WriteNewline(output);
    }

    private static void WriteNewline(IBufferWriter<byte> output)
    {
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }
}
