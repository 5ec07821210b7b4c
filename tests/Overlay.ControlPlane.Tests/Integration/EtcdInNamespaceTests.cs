using Overlay.TestKit.Etcd;
using Overlay.TestKit.Namespaces;
using Overlay.TestKit.Privileged;

namespace Overlay.ControlPlane.Tests.Integration;

public sealed class EtcdInNamespaceTests
{
    [PrivilegedFact]
    public void PrivilegedEtcdServesInsideANetworkNamespaceOnItsUnderlayAddress()
    {
        using TestNamespace ns = TestNamespace.Create("etcd");
        ns.Exec("ip", "addr", "add", "198.18.0.1/32", "dev", "lo");

        using (EtcdServer server = EtcdServer.StartInNamespace(ns.Name, "198.18.0.1"))
        {
            Assert.Equal("http://198.18.0.1:2379", server.Endpoint);
            server.Etcdctl("put", "/coreos.com/network/config", """{"Network":"10.244.0.0/16"}""");
            Assert.Equal("""{"Network":"10.244.0.0/16"}""" + "\n", server.Etcdctl("get", "/coreos.com/network/config", "--print-value-only"));

            server.Stop();
            Assert.NotEqual(0, server.TryEtcdctl("--dial-timeout=1s", "--command-timeout=1s", "get", "/coreos.com/network/config").ExitCode);
            server.Start();
            Assert.Contains("10.244.0.0/16", server.Etcdctl("get", "/coreos.com/network/config", "--print-value-only"), StringComparison.Ordinal);
        }

        // The root namespace never sees the server: its address exists only inside the namespace.
        Assert.DoesNotContain("198.18.0.1", Overlay.TestKit.Tools.Run("ip", "-4", "addr", "show"), StringComparison.Ordinal);
    }
}
