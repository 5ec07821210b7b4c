using Overlay.TestKit;

namespace Overlay.Linux.Tests;

/// <summary>Pinning touches only the calling thread, and the kernel's refusal becomes a clear exception.</summary>
public sealed class CpuAffinityTests
{
    [Fact]
    public void Pinning_restricts_the_calling_thread_only()
    {
        IReadOnlyList<int> before = CpuAffinity.AllowedCpus();
        Assert.NotEmpty(before);
        int target = before[^1];
        IReadOnlyList<int>? onThread = null;
        string? threadCpus = null;

        RunOnNewThread(() =>
        {
            CpuAffinity.PinCurrentThread(target);
            onThread = CpuAffinity.AllowedCpus();
            threadCpus = ThreadCpus.Allowed("/proc/thread-self/status");
        });

        Assert.Equal([target], onThread);
        Assert.Equal(target.ToString(System.Globalization.CultureInfo.InvariantCulture), threadCpus);
        Assert.Equal(before, CpuAffinity.AllowedCpus());
    }

    [Fact]
    public void A_cpu_the_kernel_does_not_have_is_refused_with_einval()
    {
        // CPU 1023 exists on no machine this runs on; the kernel refuses a mask with no usable CPU.
        SystemCallException? error = null;
        RunOnNewThread(() => error = Assert.Throws<SystemCallException>(() => CpuAffinity.PinCurrentThread(1023)));

        Assert.Equal(22, error!.Errno);
        Assert.Contains("CPU 1023", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.PinCurrentThread(1024));
    }

    [Fact]
    public void Another_thread_can_be_moved_by_its_id_and_back()
    {
        IReadOnlyList<int> before = CpuAffinity.AllowedCpus();
        int target = before[^1];
        using var registered = new ManualResetEventSlim();
        using var moved = new ManualResetEventSlim();
        using var seen = new ManualResetEventSlim();
        using var restored = new ManualResetEventSlim();
        int threadId = 0;
        IReadOnlyList<int>? whileMoved = null;
        IReadOnlyList<int>? afterRestore = null;

        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                threadId = CpuAffinity.CurrentThreadId();
                registered.Set();
                Assert.True(moved.Wait(TimeSpan.FromSeconds(10)));
                whileMoved = CpuAffinity.AllowedCpus();
                seen.Set();
                Assert.True(restored.Wait(TimeSpan.FromSeconds(10)));
                afterRestore = CpuAffinity.AllowedCpus();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        worker.Start();
        Assert.True(registered.Wait(TimeSpan.FromSeconds(10)));
        Assert.NotEqual(CpuAffinity.CurrentThreadId(), threadId);
        Assert.True(Directory.Exists($"/proc/self/task/{threadId}"), "the id is not a thread of this process");
        CpuAffinity.SetThreadCpus(threadId, [target]);
        moved.Set();
        Assert.True(seen.Wait(TimeSpan.FromSeconds(10)), "the moved thread never looked at its CPUs");
        CpuAffinity.SetThreadCpus(threadId, before);
        restored.Set();
        Assert.True(worker.Join(TimeSpan.FromSeconds(10)));
        Assert.Null(failure);

        Assert.Equal([target], whileMoved);
        Assert.Equal(before, afterRestore);
        Assert.Equal(before, CpuAffinity.AllowedCpus());
    }

    [Fact]
    public void A_thread_that_ended_is_refused_with_esrch_and_bad_lists_before_any_syscall()
    {
        int ended = 0;
        RunOnNewThread(() => ended = CpuAffinity.CurrentThreadId());
        // Join returns when the managed thread is done; the kernel thread may take a moment longer to go.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Directory.Exists($"/proc/self/task/{ended}") && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(10);
        }
        Assert.False(Directory.Exists($"/proc/self/task/{ended}"), $"thread {ended} never ended");

        SystemCallException error = Assert.Throws<SystemCallException>(() => CpuAffinity.SetThreadCpus(ended, [0]));
        Assert.Equal(3, error.Errno);
        Assert.Contains($"thread {ended}", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.SetThreadCpus(ended, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.SetThreadCpus(0, [0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuAffinity.SetThreadCpus(ended, [0, 1024]));
    }

    // Pinning changes the calling thread for good, so it happens on a throwaway thread; what that thread throws
    // (an assertion included) is rethrown here instead of taking the test host down.
    private static void RunOnNewThread(Action body)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                body();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "the pinning thread did not finish");
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
    }
}
