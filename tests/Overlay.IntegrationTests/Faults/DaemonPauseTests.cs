using Overlay.TestKit.Privileged;

namespace Overlay.IntegrationTests.Faults;

/// <summary>overlayd paused and resumed (SIGSTOP/SIGCONT: an operator, a debugger, a job-control shell).</summary>
public sealed class DaemonPauseTests
{
    [PrivilegedFact]
    public void Sigstop_then_sigcont_leaves_every_forwarding_thread_running_and_traffic_resumes()
    {
        using OverlayLab lab = OverlayLab.Create(hosts: 2);
        HandWrittenLeases.ConfineDaemons(lab);
        DaemonProcess first = lab.StartDaemon(0);
        DaemonProcess second = lab.StartDaemon(1);
        first.WaitForSubnet(TimeSpan.FromSeconds(30));
        string secondTun = OverlayLab.TunAddress(second.WaitForSubnet(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
        string[] before = ForwardingThreads.Of(second);
        Assert.NotEmpty(before);

        // The runtime handles SIGCONT, so the handler runs on some thread, often a forwarding thread blocked in
        // poll: that poll returns EINTR, which must be retried, not taken for a failure.
        for (int cycle = 0; cycle < 5; cycle++)
        {
            second.Signal("STOP");
            Thread.Sleep(300);
            second.Signal("CONT");
            Thread.Sleep(300);
        }

        string[] after = ForwardingThreads.Of(second);
        Assert.True(before.SequenceEqual(after),
            $"forwarding threads before the pauses: {string.Join(", ", before)}; after: {string.Join(", ", after)}. " +
            "A thread ended without a fault report (see the last log lines):\n" + second.Output);
        Assert.False(second.HasExited, second.Output);
        Assert.Equal(0, lab.PingUntilReply(0, secondTun, TimeSpan.FromSeconds(10)).ExitCode);
    }
}
