using System.Net.Sockets;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Overlay.ControlPlane.Etcd;
using Overlay.ControlPlane.Tests.Support;

namespace Overlay.ControlPlane.Tests.Etcd;

public sealed class EtcdHealthReporterTests
{
    private static readonly RpcException s_refused = new(new Status(StatusCode.Unavailable, "Error connecting to subchannel.", new SocketException((int)SocketError.ConnectionRefused)));
    private static readonly RpcException s_denied = new(new Status(StatusCode.PermissionDenied, "etcdserver: permission denied"));

    [Fact]
    public void TheFirstFailureOfAKindWarnsRepeatsAreQuietAndRecoveryIsOneLine()
    {
        var logs = new CapturedLogs();
        var reporter = new EtcdHealthReporter(logs.CreateLogger("etcd"), EtcdFailureContext.PlainText("/p"), "http://127.0.0.1:1");

        for (int i = 0; i < 5; i++)
        {
            reporter.ReportFailure(s_refused);
        }
        Assert.Equal(EtcdFailureKind.ConnectionRefused, reporter.CurrentProblem?.Kind);
        reporter.ReportFailure(s_denied);
        reporter.ReportFailure(s_denied);
        reporter.ReportSuccess();
        reporter.ReportSuccess();

        Assert.Equal(
            [
                (LogLevel.Warning, "connection refused"),
                (LogLevel.Warning, "denied access to /p"),
                (LogLevel.Information, "answers again"),
            ],
            logs.Lines.Select(l => (l.Level, Key(l.Message))));
        Assert.Null(reporter.CurrentProblem);
        Assert.Contains("http://127.0.0.1:1", logs.Lines[0].Message, StringComparison.Ordinal);
        Assert.Contains("fix: start etcd", logs.Lines[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameFailureAfterARecoveryWarnsAgain()
    {
        var logs = new CapturedLogs();
        var reporter = new EtcdHealthReporter(logs.CreateLogger("etcd"), EtcdFailureContext.PlainText("/p"), "etcd");

        reporter.ReportFailure(s_refused);
        reporter.ReportSuccess();
        reporter.ReportFailure(s_refused);

        Assert.Equal(2, logs.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("connection refused", StringComparison.Ordinal)));
        Assert.Single(logs.Lines, l => l.Level == LogLevel.Information);
    }

    [Fact]
    public void ABareDeadlineDuringAKnownProblemIsNoNews()
    {
        var logs = new CapturedLogs();
        var reporter = new EtcdHealthReporter(logs.CreateLogger("etcd"), EtcdFailureContext.PlainText("/p"), "etcd");
        var deadline = new RpcException(new Status(StatusCode.DeadlineExceeded, ""));

        reporter.ReportFailure(s_refused);
        reporter.ReportFailure(deadline);
        reporter.ReportFailure(s_refused);
        reporter.ReportSuccess();
        reporter.ReportFailure(deadline);

        Assert.Equal(3, logs.Lines.Count);
        Assert.Contains("did not answer within the call's deadline", logs.Lines[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SuccessWithoutAProblemSaysNothing()
    {
        var logs = new CapturedLogs();
        var reporter = new EtcdHealthReporter(logs.CreateLogger("etcd"), EtcdFailureContext.PlainText("/p"), "etcd");

        reporter.ReportSuccess();

        Assert.Empty(logs.Lines);
    }

    private static string Key(string message) =>
        message.Contains("answers again", StringComparison.Ordinal) ? "answers again"
        : message.Contains("connection refused", StringComparison.Ordinal) ? "connection refused"
        : message.Contains("denied access to /p", StringComparison.Ordinal) ? "denied access to /p"
        : message;
}
