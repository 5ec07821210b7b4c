using Microsoft.Extensions.Logging.Abstractions;
using Overlay.Daemon.Hosting;
using Overlay.DataPlane.Forwarding;
using Overlay.Linux;

namespace Overlay.Daemon.Tests;

/// <summary>Light-load pinning on real threads of this process, driven by the counters the forwarding loops feed.</summary>
public class LightLoadPinningThreadTests
{
    private const uint Host = 0xC612_0001;

    [Fact]
    public void Idle_threads_share_their_cpu_a_late_thread_joins_at_once_and_full_batches_spread_them()
    {
        IReadOnlyList<int> allowed = CpuAffinity.AllowedCpus();
        var counters = new ForwardingCounters();
        if (allowed.Count < 2)
        {
            // One CPU: nothing to choose between, so the daemon never builds one.
            Assert.Throws<ArgumentOutOfRangeException>(() => new LightLoadPinning(allowed, Host, 1, counters, NullLogger.Instance));
            return;
        }
        int cpu = ColocationCpus.For(allowed, Host, 0);
        using var pinning = new LightLoadPinning(allowed, Host, 1, counters, NullLogger.Instance);
        using var outbound = new ParkedThread(() => pinning.RegisterCurrentThread(0, 0));
        pinning.Start();

        Assert.True(SpinWait.SpinUntil(() => outbound.AllowedCpus().SequenceEqual([cpu]), TimeSpan.FromSeconds(10)),
            $"an idle queue's thread never moved to CPU {cpu}: {string.Join(',', outbound.AllowedCpus())}");
        using var inbound = new ParkedThread(() => pinning.RegisterCurrentThread(0, 1));
        Assert.Equal([cpu], inbound.AllowedCpus());

        // 80,000 packets/s in wake-ups of 40, as a TCP stream's batches look: every CPU again.
        var tally = new ForwardingTally();
        bool spread = SpinWait.SpinUntil(() =>
        {
            tally.AddTunRead(4_000, 4_000 * 1_472L);
            for (int i = 0; i < 100; i++)
            {
                tally.AddBatch(BatchSide.Outbound, 40);
            }
            counters.Add(tally);
            tally.Reset();
            return outbound.AllowedCpus().SequenceEqual(allowed) && inbound.AllowedCpus().SequenceEqual(allowed);
        }, TimeSpan.FromSeconds(10));
        Assert.True(spread, $"the threads stayed on {string.Join(',', outbound.AllowedCpus())} under load");
    }

    /// <summary>A thread that runs a start action, as a forwarding thread's start hook does, then waits to be disposed.</summary>
    private sealed class ParkedThread : IDisposable
    {
        private readonly ManualResetEventSlim _started = new();
        private readonly ManualResetEventSlim _release = new();
        private readonly Thread _thread;
        private int _threadId;
        private Exception? _failure;

        public ParkedThread(Action onStart)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    _threadId = CpuAffinity.CurrentThreadId();
                    onStart();
                }
                catch (Exception e)
                {
                    _failure = e;
                }
                _started.Set();
                _release.Wait();
            });
            _thread.Start();
            Assert.True(_started.Wait(TimeSpan.FromSeconds(10)), "the thread never started");
            Assert.Null(_failure);
        }

        public IReadOnlyList<int> AllowedCpus() => CpuAffinity.AllowedCpus(_threadId);

        public void Dispose()
        {
            _release.Set();
            _thread.Join(TimeSpan.FromSeconds(10));
            _started.Dispose();
            _release.Dispose();
        }
    }
}
