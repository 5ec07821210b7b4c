using Overlay.DataPlane.Forwarding;
using Overlay.DataPlane.Tests.Fakes;
using Overlay.TestKit.Packets;

namespace Overlay.DataPlane.Tests.Forwarding;

public sealed class ReactorTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void EachLoopRunsOnItsOwnNamedBackgroundThread()
    {
        var loops = new[] { new ThreadRecordingLoop("first"), new ThreadRecordingLoop("second") };
        var reactor = new Reactor(loops, (_, exception) => Assert.Fail(exception.ToString()));

        reactor.Start();
        foreach (ThreadRecordingLoop loop in loops)
        {
            Assert.True(loop.Started.Wait(s_patience));
        }
        bool stopped = reactor.Stop(s_patience);

        Assert.True(stopped);
        Assert.Equal(["first", "second"], loops.Select(l => l.ThreadName));
        Assert.All(loops, l => Assert.True(l.WasBackground));
        Assert.All(loops, l => Assert.False(l.WasThreadPool));
        Assert.NotEqual(loops[0].ThreadId, loops[1].ThreadId);
        Assert.NotEqual(Environment.CurrentManagedThreadId, loops[0].ThreadId);
    }

    [Fact]
    public void ThreadStartRunsOnEachLoopsOwnThreadBeforeItsLoop()
    {
        var loops = new[] { new ThreadRecordingLoop("first"), new ThreadRecordingLoop("second") };
        var startedOn = new Dictionary<string, (int ThreadId, bool LoopHadRun)>();
        var reactor = new Reactor(loops, (_, exception) => Assert.Fail(exception.ToString()), loop =>
        {
            lock (startedOn)
            {
                startedOn[loop.Name] = (Environment.CurrentManagedThreadId, ((ThreadRecordingLoop)loop).Started.IsSet);
            }
        });

        reactor.Start();
        Assert.All(loops, loop => Assert.True(loop.Started.Wait(s_patience)));
        Assert.True(reactor.Stop(s_patience));

        Assert.All(loops, loop => Assert.Equal((loop.ThreadId, false), startedOn[loop.Name]));
    }

    [Fact]
    public void AThreadStartThatThrowsIsReportedAndItsLoopNeverRuns()
    {
        var loop = new ThreadRecordingLoop("pinned");
        using var reported = new ManualResetEventSlim();
        (IForwardingLoop Loop, Exception Error)? failure = null;
        var refusal = new InvalidOperationException("sched_setaffinity(CPU 7): Invalid argument");
        var reactor = new Reactor([loop], (failed, error) => { failure = (failed, error); reported.Set(); }, _ => throw refusal);

        reactor.Start();

        Assert.True(reported.Wait(s_patience));
        Assert.Same(loop, failure!.Value.Loop);
        Assert.Same(refusal, failure.Value.Error);
        Assert.False(loop.Started.IsSet);
        Assert.True(reactor.Stop(s_patience));
    }

    [Fact]
    public void ForwardsBetweenHostsUntilTheSourcesShutDown()
    {
        var fabric = new InMemoryUdpFabric();
        using var a = new InMemoryHost(fabric, "198.18.0.1", "10.244.1.0/24");
        using var b = new InMemoryHost(fabric, "198.18.0.2", "10.244.2.0/24");
        a.RouteTo(b);
        b.RouteTo(a);
        var failures = new List<Exception>();
        var reactor = new Reactor([a.Outbound, a.Inbound, b.Outbound, b.Inbound], (_, e) => { lock (failures) { failures.Add(e); } });
        const int PacketsEachWay = 500;

        reactor.Start();
        for (int i = 0; i < PacketsEachWay; i++)
        {
            Assert.True(a.Tun.Inject(new PacketBuilder { Source = a.Pod(2), Destination = b.Pod(3), Identification = (ushort)i }.Udp()));
            Assert.True(b.Tun.Inject(new PacketBuilder { Source = b.Pod(3), Destination = a.Pod(2), Identification = (ushort)i }.Udp()));
        }
        long deadline = Environment.TickCount64 + (long)s_patience.TotalMilliseconds;
        while ((a.Tun.WrittenCount < PacketsEachWay || b.Tun.WrittenCount < PacketsEachWay) && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(10);
        }
        // The daemon's order: declare the stop, then wake the sources, then wait.
        reactor.BeginStop();
        a.Dispose();
        b.Dispose();
        bool stopped = reactor.Join(s_patience);

        Assert.True(stopped);
        Assert.Empty(failures);
        Assert.Equal(PacketsEachWay, a.Tun.WrittenCount);
        Assert.Equal(PacketsEachWay, b.Tun.WrittenCount);
        Assert.Equal(PacketsEachWay, a.Counters.Snapshot().UdpPacketsSent);
        Assert.Equal(PacketsEachWay, b.Counters.Snapshot().TunPacketsWritten);
    }

    [Fact]
    public void ALoopThatThrowsIsReportedThroughTheCallback()
    {
        var fabric = new InMemoryUdpFabric();
        using var host = new InMemoryHost(fabric, "198.18.0.1", "10.244.1.0/24");
        var failure = new InvalidOperationException("device vanished");
        host.Tun.FailNextRead(failure);
        IForwardingLoop? failedLoop = null;
        Exception? reported = null;
        using var reportedEvent = new ManualResetEventSlim();
        var reactor = new Reactor([host.Outbound], (loop, exception) =>
        {
            failedLoop = loop;
            reported = exception;
            reportedEvent.Set();
        });

        reactor.Start();

        Assert.True(reportedEvent.Wait(s_patience));
        Assert.Same(host.Outbound, failedLoop);
        Assert.Same(failure, reported);
        Assert.True(reactor.Join(s_patience));
    }

    [Fact]
    public void ALoopThatEndsWithoutBeingAskedIsReportedAsAFailure()
    {
        var loop = new EndsAtOnceLoop();
        Exception? reported = null;
        using var reportedEvent = new ManualResetEventSlim();
        var reactor = new Reactor([loop], (_, exception) =>
        {
            reported = exception;
            reportedEvent.Set();
        });

        reactor.Start();

        Assert.True(reportedEvent.Wait(s_patience));
        LoopEndedException ended = Assert.IsType<LoopEndedException>(reported);
        Assert.Equal("gives-up", ended.LoopName);
        Assert.Contains("gives-up", ended.Message);
        Assert.True(reactor.Join(s_patience));
    }

    [Fact]
    public void ALoopThatEndsAfterBeginStopIsAQuietStop()
    {
        var loop = new ThreadRecordingLoop("asked");
        var failures = 0;
        var reactor = new Reactor([loop], (_, _) => Interlocked.Increment(ref failures));

        reactor.Start();
        Assert.True(loop.Started.Wait(s_patience));
        reactor.BeginStop();

        Assert.True(reactor.Join(s_patience));
        Assert.Equal(0, failures);
    }

    [Fact]
    public void StartingTwiceIsRefused()
    {
        var loop = new ThreadRecordingLoop("only");
        var reactor = new Reactor([loop], (_, _) => { });
        reactor.Start();
        try
        {
            Assert.Throws<InvalidOperationException>(reactor.Start);
        }
        finally
        {
            Assert.True(reactor.Stop(s_patience));
        }
    }

    [Fact]
    public void StopWithoutStartReturnsAtOnce()
    {
        var reactor = new Reactor([new ThreadRecordingLoop("idle")], (_, _) => { });

        Assert.True(reactor.Stop(TimeSpan.Zero));
    }

    /// <summary>A loop whose source gives up at once, as a TUN queue or socket does after a fault.</summary>
    private sealed class EndsAtOnceLoop : IForwardingLoop
    {
        public string Name => "gives-up";

        public bool PumpOnce() => false;

        public void Run()
        {
        }

        public void RequestStop()
        {
        }
    }

    /// <summary>A loop that records the thread it runs on, then waits for <see cref="RequestStop"/>.</summary>
    private sealed class ThreadRecordingLoop(string name) : IForwardingLoop
    {
        private readonly ManualResetEventSlim _stop = new();

        public string Name { get; } = name;

        public ManualResetEventSlim Started { get; } = new();

        public string? ThreadName { get; private set; }

        public bool WasBackground { get; private set; }

        public bool WasThreadPool { get; private set; }

        public int ThreadId { get; private set; }

        public bool PumpOnce() => !_stop.Wait(TimeSpan.FromMilliseconds(50));

        public void Run()
        {
            Thread current = Thread.CurrentThread;
            ThreadName = current.Name;
            WasBackground = current.IsBackground;
            WasThreadPool = current.IsThreadPoolThread;
            ThreadId = current.ManagedThreadId;
            Started.Set();
            long deadline = Environment.TickCount64 + 30_000;
            while (PumpOnce() && Environment.TickCount64 < deadline)
            {
            }
        }

        public void RequestStop() => _stop.Set();
    }
}
