using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// Turns the exception an etcd call threw into a cause and a fix. gRPC wraps the transport's error: the
/// <see cref="RpcException"/>'s status carries it as <see cref="Status.DebugException"/>, whose inner exceptions hold
/// the socket error, the certificate verdict or the handshake failure. Pure: no I/O, no state.
/// </summary>
public static class EtcdFailureClassifier
{
    // SslStream's verdicts name the SslPolicyErrors and X509ChainStatusFlags members, which are not localized.
    private const string NameMismatch = "RemoteCertificateNameMismatch";
    private const string NotTimeValid = "NotTimeValid";
    private const string PartialChain = "PartialChain";
    private const string UntrustedRoot = "UntrustedRoot";

    // A trusted CA of the same name that did not sign the certificate: another CA, as far as the operator goes.
    private const string NotSignatureValid = "NotSignatureValid";

    // The server accepted TCP (and TLS) but closed before HTTP/2 began: etcd's verdict on a client certificate after
    // a TLS 1.3 handshake, or a TLS server that got plain text.
    private const string Http2HandshakeIncomplete = "did not complete the HTTP/2 handshake";

    public static EtcdFailure Classify(Exception exception, EtcdFailureContext context)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(context);
        List<Exception> chain = Chain(exception);

        if (chain.OfType<SocketException>().FirstOrDefault() is { } socket && FromSocket(socket) is { } fromSocket)
        {
            return fromSocket;
        }
        if (chain.Any(e => e is TimeoutException))
        {
            return Timeout("the TCP connection to etcd was not accepted in time");
        }
        if (chain.OfType<AuthenticationException>().FirstOrDefault() is { } tls)
        {
            return FromCertificateVerdict(tls.Message, context);
        }
        if (chain.Any(e => e.Message.Contains(Http2HandshakeIncomplete, StringComparison.Ordinal)))
        {
            return Http2Refused(context);
        }
        if (chain.OfType<HttpRequestException>().FirstOrDefault(e => e.HttpRequestError == HttpRequestError.SecureConnectionError) is { } secure)
        {
            return HandshakeFailed(Innermost(secure).Message);
        }
        if (exception is RpcException rpc)
        {
            return FromStatus(rpc.Status, context);
        }
        return new EtcdFailure(EtcdFailureKind.Other, Innermost(exception).Message, "see etcd's own log for the reason");
    }

    private static EtcdFailure? FromSocket(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => new EtcdFailure(EtcdFailureKind.ConnectionRefused,
            "connection refused: nothing listens at that address and port",
            "start etcd, or correct the host and port in -etcd-endpoints"),
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => new EtcdFailure(EtcdFailureKind.NoRoute,
            $"no route to etcd's address ({socket.Message})",
            "check this host's routes and the address in -etcd-endpoints"),
        SocketError.TimedOut => Timeout("the TCP connection to etcd timed out"),
        SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData or SocketError.NoRecovery => new EtcdFailure(EtcdFailureKind.NameNotResolved,
            $"the etcd host name does not resolve ({socket.Message})",
            "correct the host name in -etcd-endpoints, or this host's DNS (/etc/resolv.conf, /etc/hosts)"),
        _ => null,
    };

    private static EtcdFailure Timeout(string cause) => new(EtcdFailureKind.Timeout, cause + " (packets dropped on the way, or etcd overloaded)",
        "check firewalls and routing between this host and etcd, and the address in -etcd-endpoints");

    private static EtcdFailure FromCertificateVerdict(string verdict, EtcdFailureContext context)
    {
        if (verdict.Contains(NotTimeValid, StringComparison.Ordinal))
        {
            return new EtcdFailure(EtcdFailureKind.CertificateExpired,
                "TLS handshake failed: etcd's certificate has expired or is not valid yet",
                "renew etcd's certificate (its --cert-file), or correct this host's clock");
        }
        if (verdict.Contains(PartialChain, StringComparison.Ordinal) || verdict.Contains(UntrustedRoot, StringComparison.Ordinal)
            || verdict.Contains(NotSignatureValid, StringComparison.Ordinal))
        {
            return new EtcdFailure(EtcdFailureKind.CertificateUnknownAuthority,
                "TLS handshake failed: etcd's certificate is signed by an unknown CA",
                context.CaFile
                    ? "-etcd-cafile must hold the CA that signed etcd's certificate (etcd's --trusted-ca-file usually names it)"
                    : "give the CA that signed etcd's certificate with -etcd-cafile (the system roots do not include it)");
        }
        if (verdict.Contains(NameMismatch, StringComparison.Ordinal))
        {
            return new EtcdFailure(EtcdFailureKind.CertificateNameMismatch,
                "TLS handshake failed: etcd's certificate does not name the host or IP address in -etcd-endpoints",
                "write the endpoint with a name or IP address the certificate lists (its subject alternative names), or reissue etcd's certificate for this one");
        }
        return HandshakeFailed(verdict);
    }

    private static EtcdFailure HandshakeFailed(string detail) => new(EtcdFailureKind.TlsHandshakeFailed,
        $"TLS handshake failed ({detail})",
        "check that etcd serves TLS 1.2 or newer on that port; an etcd serving plain text needs an http:// endpoint");

    private static EtcdFailure Http2Refused(EtcdFailureContext context)
    {
        if (!context.Tls)
        {
            return new EtcdFailure(EtcdFailureKind.PlainTextToTlsServer,
                "etcd closed the plain-text connection: it serves TLS on that port",
                "write the endpoints as https:// (with -etcd-cafile when a private CA signed etcd's certificate)");
        }
        return context.ClientCertificate
            ? new EtcdFailure(EtcdFailureKind.ClientCertificateRejected,
                "etcd rejected our client certificate (-etcd-certfile) and closed the connection after the TLS handshake",
                "use a client certificate signed by a CA in etcd's --trusted-ca-file, still valid, with clientAuth usage")
            : new EtcdFailure(EtcdFailureKind.ClientCertificateRequired,
                "etcd requires a client certificate (--client-cert-auth) and closed the connection after the TLS handshake",
                "give -etcd-certfile and -etcd-keyfile with a certificate signed by a CA in etcd's --trusted-ca-file");
    }

    private static EtcdFailure FromStatus(Status status, EtcdFailureContext context)
    {
        string detail = status.Detail;
        if (status.StatusCode == StatusCode.PermissionDenied)
        {
            return new EtcdFailure(EtcdFailureKind.PermissionDenied,
                $"etcd denied access to {context.Prefix} ({detail})",
                $"grant the -etcd-username user a role with readwrite on the prefix: etcdctl role grant-permission ROLE --prefix=true readwrite {context.Prefix}/");
        }
        if (detail.Contains("user name is empty", StringComparison.Ordinal))
        {
            return new EtcdFailure(EtcdFailureKind.AuthenticationRequired,
                "etcd has authentication enabled and no user was given",
                "give -etcd-username and -etcd-password");
        }
        if (status.StatusCode == StatusCode.Unauthenticated
            || detail.Contains("authentication failed", StringComparison.Ordinal)
            || detail.Contains("invalid auth token", StringComparison.Ordinal))
        {
            return new EtcdFailure(EtcdFailureKind.AuthenticationFailed,
                $"etcd refused the user name or password ({detail})",
                context.Username
                    ? "correct -etcd-username and -etcd-password (etcdctl user get NAME shows whether the user exists)"
                    : "give -etcd-username and -etcd-password");
        }
        if (status.StatusCode == StatusCode.DeadlineExceeded)
        {
            return Timeout("etcd did not answer within the call's deadline") with { Vague = true };
        }
        return new EtcdFailure(EtcdFailureKind.Other,
            string.IsNullOrEmpty(detail) ? status.StatusCode.ToString() : $"{status.StatusCode}: {detail}",
            "see etcd's own log for the reason");
    }

    /// <summary>The exception, then gRPC's debug exception, then each inner exception, outermost first.</summary>
    private static List<Exception> Chain(Exception exception)
    {
        var chain = new List<Exception>();
        Exception? current = exception;
        while (current is not null && chain.Count < 16)
        {
            chain.Add(current);
            current = current is RpcException rpc ? rpc.Status.DebugException ?? rpc.InnerException : current.InnerException;
        }
        return chain;
    }

    private static Exception Innermost(Exception exception)
    {
        List<Exception> chain = Chain(exception);
        return chain[^1];
    }
}
