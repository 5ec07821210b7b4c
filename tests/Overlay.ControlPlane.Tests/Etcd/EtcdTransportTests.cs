using Overlay.ControlPlane.Etcd;

namespace Overlay.ControlPlane.Tests.Etcd;

public sealed class EtcdTransportTests
{
    [Fact]
    public void HttpsIsTlsWithOnlyACaFileTrustingIt()
    {
        EtcdTransport transport = EtcdTransport.Choose(["https://10.0.0.1:2379", "https://10.0.0.2:2379"], "/etc/etcd/ca.pem", null, null);

        Assert.True(transport.Tls);
        Assert.True(transport.TrustsCaFile);
        Assert.False(transport.PresentsClientCertificate);
    }

    [Fact]
    public void HttpsWithoutAnyFileIsTlsWithTheSystemRoots()
    {
        EtcdTransport transport = EtcdTransport.Choose(["https://10.0.0.1:2379"], null, "", null);

        Assert.True(transport.Tls);
        Assert.False(transport.TrustsCaFile);
        Assert.False(transport.PresentsClientCertificate);
    }

    [Fact]
    public void CertAndKeyTogetherPresentAClientCertificate() =>
        Assert.True(EtcdTransport.Choose(["https://10.0.0.1:2379"], null, "c.pem", "k.pem").PresentsClientCertificate);

    [Fact]
    public void HttpIsPlainTextWhateverFilesAreGiven()
    {
        EtcdTransport transport = EtcdTransport.Choose(["http://10.0.0.1:2379"], "ca.pem", "c.pem", "k.pem");

        Assert.False(transport.Tls);
        Assert.False(transport.PresentsClientCertificate);
        Assert.False(transport.TrustsCaFile);
    }

    [Theory]
    [InlineData("c.pem", null)]
    [InlineData(null, "k.pem")]
    public void ACertWithoutAKeyOrTheReverseNamesBothFlags(string? cert, string? key)
    {
        var e = Assert.Throws<EtcdSettingsException>(() => EtcdTransport.Choose(["https://10.0.0.1:2379"], null, cert, key));

        Assert.Equal("etcd-certfile,etcd-keyfile", e.Flags);
        Assert.Contains("-etcd-certfile", e.Message, StringComparison.Ordinal);
        Assert.Contains("-etcd-keyfile", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MixedSchemesAreRefusedNamingOneOfEach()
    {
        var e = Assert.Throws<EtcdSettingsException>(() => EtcdTransport.Choose(["https://10.0.0.1:2379", "http://10.0.0.2:2379"], null, null, null));

        Assert.Equal("etcd-endpoints", e.Flags);
        Assert.Contains("http://10.0.0.2:2379", e.Message, StringComparison.Ordinal);
        Assert.Contains("https://10.0.0.1:2379", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEndpointWithoutAnHttpSchemeIsRefused() =>
        Assert.Equal("etcd-endpoints", Assert.Throws<EtcdSettingsException>(() => EtcdTransport.Choose(["10.0.0.1:2379"], null, null, null)).Flags);
}
