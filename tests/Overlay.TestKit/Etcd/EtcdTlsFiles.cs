using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Overlay.TestKit.Etcd;

/// <summary>
/// A throwaway CA, a server certificate for one IP address and a client certificate, as PEM files in a temporary
/// directory (deleted on dispose): what etcd's --cert-file/--key-file/--trusted-ca-file and flanneld's
/// -etcd-certfile/-etcd-keyfile/-etcd-cafile expect.
/// </summary>
public sealed class EtcdTlsFiles : IDisposable
{
    private EtcdTlsFiles(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string ServerCertFile => Path.Combine(Directory, "server.pem");

    public string ServerKeyFile => Path.Combine(Directory, "server-key.pem");

    public string ClientCertFile => Path.Combine(Directory, "client.pem");

    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");

    /// <summary>
    /// Creates the files. The server certificate names <paramref name="serverAddress"/> only (so a server listening
    /// elsewhere presents a name mismatch) and, with <paramref name="serverCertificateExpired"/>, expired yesterday.
    /// </summary>
    public static EtcdTlsFiles Create(string serverAddress, bool serverCertificateExpired = false)
    {
        var files = new EtcdTlsFiles(Path.Combine(Path.GetTempPath(), $"ovt-tls-{Environment.ProcessId % 100000}-{Random.Shared.Next(100000):D5}"));
        System.IO.Directory.CreateDirectory(files.Directory);
        DateTimeOffset from = DateTimeOffset.UtcNow.AddMinutes(-5);
        DateTimeOffset until = DateTimeOffset.UtcNow.AddDays(1);

        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=overlay test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(from.AddDays(-7), until);
        File.WriteAllText(files.CaFile, ca.ExportCertificatePem());

        Issue(ca, "CN=etcd", "1.3.6.1.5.5.7.3.1", IPAddress.Parse(serverAddress),
            serverCertificateExpired ? from.AddDays(-3) : from, serverCertificateExpired ? from.AddDays(-1) : until, files.ServerCertFile, files.ServerKeyFile);
        Issue(ca, "CN=root", "1.3.6.1.5.5.7.3.2", null, from, until, files.ClientCertFile, files.ClientKeyFile);
        return files;
    }

    public void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static void Issue(X509Certificate2 ca, string subject, string usage, IPAddress? address, DateTimeOffset from, DateTimeOffset until,
        string certFile, string keyFile)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        if (address is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(address);
            request.CertificateExtensions.Add(names.Build());
        }
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using X509Certificate2 certificate = request.Create(ca, from, until, serial);
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
