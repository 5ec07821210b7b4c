using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;
using Overlay.ControlPlane.Etcd;

namespace Overlay.ControlPlane.Tests.Etcd;

/// <summary>
/// The classifier over exceptions shaped as gRPC and SocketsHttpHandler throw them (the real-etcd tests in
/// EtcdFailureCauseTests check that the shapes are these).
/// </summary>
public sealed class EtcdFailureClassifierTests
{
    private static readonly EtcdFailureContext s_plain = EtcdFailureContext.PlainText("/coreos.com/network");
    private static readonly EtcdFailureContext s_tlsWithCa = new(Tls: true, ClientCertificate: false, CaFile: true, Username: false, Prefix: "/coreos.com/network");
    private static readonly EtcdFailureContext s_tlsWithClientCertificate = s_tlsWithCa with { ClientCertificate = true };

    [Theory]
    [InlineData(SocketError.ConnectionRefused, EtcdFailureKind.ConnectionRefused, "connection refused")]
    [InlineData(SocketError.NetworkUnreachable, EtcdFailureKind.NoRoute, "no route")]
    [InlineData(SocketError.HostUnreachable, EtcdFailureKind.NoRoute, "no route")]
    [InlineData(SocketError.TimedOut, EtcdFailureKind.Timeout, "timed out")]
    [InlineData(SocketError.HostNotFound, EtcdFailureKind.NameNotResolved, "does not resolve")]
    [InlineData(SocketError.TryAgain, EtcdFailureKind.NameNotResolved, "does not resolve")]
    public void SocketErrorsOfTheSubchannelConnectAreNamed(SocketError error, EtcdFailureKind kind, string cause)
    {
        var exception = new RpcException(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)error)));

        EtcdFailure failure = EtcdFailureClassifier.Classify(exception, s_plain);

        Assert.Equal(kind, failure.Kind);
        Assert.Contains(cause, failure.Cause, StringComparison.Ordinal);
        Assert.Contains("-etcd-endpoints", failure.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void ASilentAddressIsAConnectTimeout()
    {
        var timeout = new TimeoutException("A connection could not be established within the configured ConnectTimeout.", new OperationCanceledException());
        var exception = new RpcException(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", timeout));

        Assert.Equal(EtcdFailureKind.Timeout, EtcdFailureClassifier.Classify(exception, s_plain).Kind);
    }

    [Fact]
    public void ABareDeadlineIsATimeout() =>
        Assert.Equal(EtcdFailureKind.Timeout, EtcdFailureClassifier.Classify(new RpcException(new Status(StatusCode.DeadlineExceeded, "")), s_plain).Kind);

    [Theory]
    [InlineData("The remote certificate is invalid according to the validation procedure: RemoteCertificateNameMismatch", EtcdFailureKind.CertificateNameMismatch)]
    [InlineData("The remote certificate is invalid because of errors in the certificate chain: PartialChain", EtcdFailureKind.CertificateUnknownAuthority)]
    [InlineData("The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot", EtcdFailureKind.CertificateUnknownAuthority)]
    [InlineData("The remote certificate is invalid because of errors in the certificate chain: NotSignatureValid", EtcdFailureKind.CertificateUnknownAuthority)]
    [InlineData("The remote certificate is invalid because of errors in the certificate chain: NotTimeValid", EtcdFailureKind.CertificateExpired)]
    [InlineData("Authentication failed because the remote party sent a TLS alert: 'HandshakeFailure'.", EtcdFailureKind.TlsHandshakeFailed)]
    public void CertificateVerdictsAreNamed(string verdict, EtcdFailureKind kind)
    {
        EtcdFailure failure = EtcdFailureClassifier.Classify(TlsFailure(new AuthenticationException(verdict)), s_tlsWithCa);

        Assert.Equal(kind, failure.Kind);
        Assert.StartsWith("TLS handshake failed", failure.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownAuthorityFixNamesTheCaFlag()
    {
        var unknown = new AuthenticationException("The remote certificate is invalid because of errors in the certificate chain: PartialChain");

        Assert.Contains("with -etcd-cafile", EtcdFailureClassifier.Classify(TlsFailure(unknown), s_tlsWithCa with { CaFile = false }).Fix, StringComparison.Ordinal);
        Assert.Contains("-etcd-cafile must hold", EtcdFailureClassifier.Classify(TlsFailure(unknown), s_tlsWithCa).Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void ATlsServerThatHangsUpOnPlainTextIsNamed()
    {
        EtcdFailure failure = EtcdFailureClassifier.Classify(Http2HandshakeIncomplete(), s_plain);

        Assert.Equal(EtcdFailureKind.PlainTextToTlsServer, failure.Kind);
        Assert.Contains("https://", failure.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void AHangUpAfterTheTlsHandshakeIsAboutTheClientCertificate()
    {
        EtcdFailure required = EtcdFailureClassifier.Classify(Http2HandshakeIncomplete(), s_tlsWithCa);
        EtcdFailure rejected = EtcdFailureClassifier.Classify(Http2HandshakeIncomplete(), s_tlsWithClientCertificate);

        Assert.Equal(EtcdFailureKind.ClientCertificateRequired, required.Kind);
        Assert.Contains("client certificate", required.Cause, StringComparison.Ordinal);
        Assert.Contains("-etcd-certfile and -etcd-keyfile", required.Fix, StringComparison.Ordinal);
        Assert.Equal(EtcdFailureKind.ClientCertificateRejected, rejected.Kind);
        Assert.Contains("rejected our client certificate", rejected.Cause, StringComparison.Ordinal);
    }

    [Fact]
    public void APlainServerThatGetsTlsIsAHandshakeFailure()
    {
        var eof = new IOException("Received an unexpected EOF or 0 bytes from the transport stream.");

        EtcdFailure failure = EtcdFailureClassifier.Classify(TlsFailure(eof), s_tlsWithCa);

        Assert.Equal(EtcdFailureKind.TlsHandshakeFailed, failure.Kind);
        Assert.Contains("unexpected EOF", failure.Cause, StringComparison.Ordinal);
        Assert.Contains("http://", failure.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "etcdserver: user name is empty", EtcdFailureKind.AuthenticationRequired)]
    [InlineData(StatusCode.InvalidArgument, "etcdserver: authentication failed, invalid user ID or password", EtcdFailureKind.AuthenticationFailed)]
    [InlineData(StatusCode.Unauthenticated, "etcdserver: invalid auth token", EtcdFailureKind.AuthenticationFailed)]
    [InlineData(StatusCode.PermissionDenied, "etcdserver: permission denied", EtcdFailureKind.PermissionDenied)]
    public void EtcdsOwnRefusalsAreNamed(StatusCode code, string detail, EtcdFailureKind kind)
    {
        EtcdFailure failure = EtcdFailureClassifier.Classify(new RpcException(new Status(code, detail)), s_plain);

        Assert.Equal(kind, failure.Kind);
        Assert.Contains(kind == EtcdFailureKind.PermissionDenied ? "/coreos.com/network" : "-etcd-username", failure.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void AnythingElseKeepsEtcdsWordsAndIsOnlyTheSameProblemWithTheSameWords()
    {
        EtcdFailure noLeader = EtcdFailureClassifier.Classify(new RpcException(new Status(StatusCode.Unavailable, "etcdserver: no leader")), s_plain);
        EtcdFailure stopping = EtcdFailureClassifier.Classify(new RpcException(new Status(StatusCode.Unavailable, "etcdserver: server stopped")), s_plain);

        Assert.Equal(EtcdFailureKind.Other, noLeader.Kind);
        Assert.Equal("Unavailable: etcdserver: no leader", noLeader.Cause);
        Assert.False(noLeader.IsSameProblem(stopping));
        Assert.True(noLeader.IsSameProblem(noLeader with { Fix = "" }));
    }

    private static RpcException TlsFailure(Exception inner) =>
        new(new Status(StatusCode.Internal, "Error starting gRPC call.",
            new HttpRequestException(HttpRequestError.SecureConnectionError, "The SSL connection could not be established, see inner exception.", inner)));

    private static RpcException Http2HandshakeIncomplete() =>
        new(new Status(StatusCode.Unavailable, "Error starting gRPC call.",
            new HttpRequestException("An error occurred while sending the request.",
                new IOException("An HTTP/2 connection could not be established because the server did not complete the HTTP/2 handshake.",
                    new ObjectDisposedException("SslStream")))));
}
