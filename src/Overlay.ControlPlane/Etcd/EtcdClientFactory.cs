using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Logging;

namespace Overlay.ControlPlane.Etcd;

/// <summary>Builds the dotnet-etcd client from <see cref="EtcdOptions"/> the way flanneld builds its etcd client.</summary>
internal static class EtcdClientFactory
{
    private const string Http = "http://";
    private const string Https = "https://";

    public static EtcdClient Create(EtcdOptions options, ILogger logger)
    {
        IReadOnlyList<string> endpoints = options.EndpointList();
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("no etcd endpoints given; pass e.g. http://127.0.0.1:2379", nameof(options));
        }
        EtcdClient client;
        if (options.UsesTls)
        {
            X509Certificate2 clientCertificate = X509Certificate2.CreateFromPemFile(options.CertFile!, options.KeyFile!);
            X509Certificate2Collection? authorities = string.IsNullOrEmpty(options.CaFile) ? null : LoadAuthorities(options.CaFile);
            string connection = string.Join(',', endpoints.Select(e => e.StartsWith(Http, StringComparison.OrdinalIgnoreCase) ? Https + e[Http.Length..] : e));
            client = new EtcdClient(connection, ssl => ConfigureTls(ssl, clientCertificate, authorities));
            logger.EtcdClientCreated(connection, "tls");
        }
        else
        {
            logger.EtcdPlainText();
            string connection = string.Join(',', endpoints);
            client = new EtcdClient(connection, configureChannelOptions: o => o.Credentials = ChannelCredentials.Insecure);
            logger.EtcdClientCreated(connection, "plain text");
        }
        if (!string.IsNullOrEmpty(options.Username) && !string.IsNullOrEmpty(options.Password))
        {
            client.SetCredentials(options.Username, options.Password);
        }
        return client;
    }

    private static X509Certificate2Collection LoadAuthorities(string caFile)
    {
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(caFile);
        return authorities;
    }

    private static void ConfigureTls(SslClientAuthenticationOptions ssl, X509Certificate2 clientCertificate, X509Certificate2Collection? authorities)
    {
        ssl.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        ssl.ClientCertificates = [clientCertificate];
        if (authorities is null)
        {
            return;
        }
        // A given CA replaces the system roots, as Go's tls.Config.RootCAs does.
        ssl.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        ssl.CertificateChainPolicy.CustomTrustStore.AddRange(authorities);
    }
}
