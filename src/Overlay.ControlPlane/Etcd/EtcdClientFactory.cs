using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Logging;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// Builds the dotnet-etcd client from <see cref="EtcdOptions"/>: TLS for https:// endpoints, plain text for http://
/// (see <see cref="EtcdTransport"/>). Each call is tried once: the control plane's loops do the retrying, and a
/// single attempt fails with the transport's own error (refused, unresolved, certificate rejected) instead of a
/// bare deadline after the library's hidden retries.
/// </summary>
internal static class EtcdClientFactory
{
    // gRPC's default reconnect backoff grows to two minutes; etcd coming back should be noticed within seconds.
    private static readonly TimeSpan s_maxReconnectBackoff = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan s_minConnectTimeout = TimeSpan.FromSeconds(1);

    public static EtcdClient Create(EtcdOptions options, EtcdTransport transport, ILogger logger)
    {
        string connection = string.Join(',', options.EndpointList());
        // Half a call's deadline for the TCP connect, so a silent address fails as a connect timeout, not a bare deadline.
        TimeSpan connectTimeout = options.CallTimeout / 2 < s_minConnectTimeout ? s_minConnectTimeout : options.CallTimeout / 2;
        void ConfigureChannel(GrpcChannelOptions channel)
        {
            channel.ServiceConfig = new ServiceConfig { LoadBalancingConfigs = { new RoundRobinConfig() } };
            channel.MaxReconnectBackoff = s_maxReconnectBackoff;
            if (FindSocketsHandler(channel.HttpHandler) is { } sockets)
            {
                sockets.ConnectTimeout = connectTimeout;
            }
        }

        EtcdClient client;
        if (transport.Tls)
        {
            X509Certificate2? clientCertificate = transport.PresentsClientCertificate ? LoadClientCertificate(transport.CertFile!, transport.KeyFile!) : null;
            X509Certificate2Collection? authorities = transport.TrustsCaFile ? LoadAuthorities(transport.CaFile!) : null;
            client = new EtcdClient(connection, ssl => ConfigureTls(ssl, clientCertificate, authorities), configureChannelOptions: ConfigureChannel);
            logger.EtcdClientCreated(connection, Describe(transport));
        }
        else
        {
            if (transport.CaFile is not null || transport.CertFile is not null)
            {
                logger.EtcdTlsFilesIgnored();
            }
            logger.EtcdPlainText();
            client = new EtcdClient(connection, configureChannelOptions: ConfigureChannel);
            logger.EtcdClientCreated(connection, "plain text");
        }
        if (!string.IsNullOrEmpty(options.Username) && !string.IsNullOrEmpty(options.Password))
        {
            client.SetCredentials(options.Username, options.Password);
        }
        return client;
    }

    // The library may wrap its SocketsHttpHandler in a delegating handler (for etcd auth tokens).
    private static SocketsHttpHandler? FindSocketsHandler(HttpMessageHandler? handler)
    {
        for (int depth = 0; depth < 8 && handler is not null; depth++)
        {
            if (handler is SocketsHttpHandler sockets)
            {
                return sockets;
            }
            handler = (handler as DelegatingHandler)?.InnerHandler;
        }
        return null;
    }

    private static string Describe(EtcdTransport transport) =>
        (transport.TrustsCaFile ? "tls, trusting " + transport.CaFile : "tls, trusting the system roots")
        + (transport.PresentsClientCertificate ? ", client certificate " + transport.CertFile : ", no client certificate");

    private static X509Certificate2 LoadClientCertificate(string certFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new EtcdSettingsException("etcd-certfile,etcd-keyfile",
                $"cannot load the client certificate -etcd-certfile={certFile} with -etcd-keyfile={keyFile}: {e.Message}; give a PEM certificate and its PEM private key", e);
        }
    }

    private static X509Certificate2Collection LoadAuthorities(string caFile)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new EtcdSettingsException("etcd-cafile", $"cannot read -etcd-cafile={caFile}: {e.Message}; give the PEM file of the CA that signed etcd's certificate", e);
        }
        return authorities.Count > 0
            ? authorities
            : throw new EtcdSettingsException("etcd-cafile", $"-etcd-cafile={caFile} holds no PEM certificate: give the PEM file of the CA that signed etcd's certificate");
    }

    private static void ConfigureTls(SslClientAuthenticationOptions ssl, X509Certificate2? clientCertificate, X509Certificate2Collection? authorities)
    {
        ssl.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
        if (clientCertificate is not null)
        {
            ssl.ClientCertificates = [clientCertificate];
        }
        if (authorities is null)
        {
            return;
        }
        // A given CA replaces the system roots, as Go's tls.Config.RootCAs does; it is trusted with or without a client certificate.
        ssl.CertificateChainPolicy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        ssl.CertificateChainPolicy.CustomTrustStore.AddRange(authorities);
    }
}
