using Overlay.Daemon.Admin;

namespace Overlay.Ctl.Tests.Admin;

public class AdminRequestTests
{
    [Theory]
    [InlineData("routes", AdminVerb.Routes, 0)]
    [InlineData("leases", AdminVerb.Leases, 0)]
    [InlineData("stats\r", AdminVerb.Stats, 0)]
    [InlineData("capture", AdminVerb.Capture, 0)]
    [InlineData("capture 100", AdminVerb.Capture, 100)]
    [InlineData("  capture   7 ", AdminVerb.Capture, 7)]
    public void ParsesValidRequests(string line, AdminVerb verb, int count)
    {
        Assert.True(AdminRequest.TryParse(line, out AdminRequest? request, out string? error), error);
        Assert.Equal(new AdminRequest(verb, count), request);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ROUTES", "unknown request")]
    [InlineData("dump", "unknown request")]
    [InlineData("routes 5", "no argument")]
    [InlineData("capture -1", "not a non-negative number")]
    [InlineData("capture ten", "not a non-negative number")]
    [InlineData("capture 1 2", "at most one argument")]
    public void RejectsInvalidRequestsWithAReason(string line, string reason)
    {
        Assert.False(AdminRequest.TryParse(line, out AdminRequest? request, out string? error));
        Assert.Null(request);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("routes")]
    [InlineData("stats")]
    [InlineData("capture")]
    [InlineData("capture 5")]
    public void WireFormRoundTrips(string line)
    {
        Assert.True(AdminRequest.TryParse(line, out AdminRequest? request, out _));
        Assert.Equal(line, request!.ToString());
    }
}
