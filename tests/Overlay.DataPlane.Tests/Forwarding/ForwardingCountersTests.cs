using Overlay.DataPlane.Forwarding;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class ForwardingCountersTests
{
    [Fact]
    public void AddingATallyMovesItsCountsAndResetsIt()
    {
        var counters = new ForwardingCounters();
        var tally = new ForwardingTally();
        tally.AddTunRead(3, 300);
        tally.AddUdpSent(2, 200);
        tally.AddUdpReceived(4, 400);
        tally.AddTunWritten(5, 500);
        tally.AddIcmpReply();
        tally.AddSuperpacketsSplit(6, 60);
        tally.AddSuperpacketsBuilt(7, 70);
        tally.AddDrop(DropReason.NoRoute);
        tally.AddDrop(DropReason.SendFailed, 2);

        counters.Add(tally);

        ForwardingSnapshot snapshot = counters.Snapshot();
        Assert.Equal(
            (3L, 300L, 2L, 200L, 4L, 400L, 5L, 500L, 1L),
            (snapshot.TunPacketsRead, snapshot.TunBytesRead, snapshot.UdpPacketsSent, snapshot.UdpBytesSent,
             snapshot.UdpPacketsReceived, snapshot.UdpBytesReceived, snapshot.TunPacketsWritten, snapshot.TunBytesWritten,
             snapshot.IcmpRepliesGenerated));
        Assert.Equal(
            (6L, 60L, 7L, 70L),
            (snapshot.SuperpacketsSplit, snapshot.SegmentsProduced, snapshot.SuperpacketsBuilt, snapshot.SegmentsCoalesced));
        Assert.Equal(1, snapshot.DroppedNoRoute);
        Assert.Equal(2, snapshot.DroppedSendFailed);
        Assert.Equal(3, snapshot.TotalDropped);
        Assert.Equal(0, tally.TunPacketsRead + tally.UdpBytesSent + tally.IcmpRepliesGenerated + tally.DropsFor(DropReason.NoRoute));
        Assert.Equal(0, tally.SuperpacketsSplit + tally.SegmentsProduced + tally.SuperpacketsBuilt + tally.SegmentsCoalesced);
    }

    [Fact]
    public void EveryDropReasonHasItsOwnTotal()
    {
        var counters = new ForwardingCounters();
        var tally = new ForwardingTally();
        DropReason[] reasons = Enum.GetValues<DropReason>();
        foreach (DropReason reason in reasons)
        {
            tally.AddDrop(reason, 10 * (int)reason);
        }

        counters.Add(tally);

        ForwardingSnapshot snapshot = counters.Snapshot();
        long expectedTotal = 0;
        foreach (DropReason reason in reasons)
        {
            long expected = reason == DropReason.None ? 0 : 10 * (int)reason;
            Assert.Equal(expected, snapshot.Dropped(reason));
            expectedTotal += expected;
        }
        Assert.Equal(expectedTotal, snapshot.TotalDropped);
    }

    [Fact]
    public void ConcurrentTalliesAddUpExactly()
    {
        var counters = new ForwardingCounters();
        const int Threads = 4;
        const int Batches = 20_000;
        var workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                var tally = new ForwardingTally();
                for (int batch = 0; batch < Batches; batch++)
                {
                    tally.AddUdpSent(3, 1500);
                    tally.AddDrop(DropReason.TtlExpired);
                    counters.Add(tally);
                }
            });
            workers[t].Start();
        }
        foreach (Thread worker in workers)
        {
            Assert.True(worker.Join(TimeSpan.FromSeconds(30)));
        }

        ForwardingSnapshot snapshot = counters.Snapshot();
        Assert.Equal(3L * Threads * Batches, snapshot.UdpPacketsSent);
        Assert.Equal(1500L * Threads * Batches, snapshot.UdpBytesSent);
        Assert.Equal((long)Threads * Batches, snapshot.DroppedTtlExpired);
    }

    [Fact]
    public void SnapshotIsAPlainValueForLogs()
    {
        var counters = new ForwardingCounters();
        var tally = new ForwardingTally();
        tally.AddDrop(DropReason.Truncated, 7);
        counters.Add(tally);

        ForwardingSnapshot first = counters.Snapshot();
        ForwardingSnapshot second = counters.Snapshot();

        Assert.Equal(first, second);
        Assert.Contains("DroppedTruncated = 7", first.ToString(), StringComparison.Ordinal);
    }
}
