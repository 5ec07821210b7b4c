using Overlay.DataPlane.Routing;

namespace Overlay.DataPlane.Tests.Fakes;

/// <summary>
/// An underlay network in memory: sockets bound to endpoints, and delivery from one to another by destination
/// endpoint. A datagram to an endpoint nobody bound, or to a full receive queue, is lost and not counted as sent.
/// </summary>
/// <remarks>Binding copies the endpoint map, so concurrent senders read it without a lock.</remarks>
internal sealed class InMemoryUdpFabric
{
    private readonly object _bindGate = new();
    private Dictionary<PeerEndpoint, InMemoryUdpSocket> _sockets = [];

    public InMemoryUdpSocket Bind(PeerEndpoint local, int queueCapacity = 1024, int slotSize = 2048)
    {
        lock (_bindGate)
        {
            if (_sockets.ContainsKey(local))
            {
                throw new InvalidOperationException($"{local} is already bound");
            }
            var socket = new InMemoryUdpSocket(this, local, queueCapacity, slotSize);
            Volatile.Write(ref _sockets, new Dictionary<PeerEndpoint, InMemoryUdpSocket>(_sockets) { [local] = socket });
            return socket;
        }
    }

    internal void Unbind(InMemoryUdpSocket socket)
    {
        lock (_bindGate)
        {
            var remaining = new Dictionary<PeerEndpoint, InMemoryUdpSocket>(_sockets);
            remaining.Remove(socket.Local);
            Volatile.Write(ref _sockets, remaining);
        }
    }

    internal bool Deliver(ReadOnlySpan<byte> datagram, PeerEndpoint from, PeerEndpoint to) =>
        Volatile.Read(ref _sockets).TryGetValue(to, out InMemoryUdpSocket? target) && target.Accept(datagram, from);
}
