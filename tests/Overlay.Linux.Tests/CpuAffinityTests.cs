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
        string? statusLine = null;

        RunOnNewThread(() =>
        {
            CpuAffinity.PinCurrentThread(target);
            onThread = CpuAffinity.AllowedCpus();
            statusLine = File.ReadAllLines("/proc/thread-self/status").Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal));
        });

        Assert.Equal([target], onThread);
        Assert.Equal(target.ToString(System.Globalization.CultureInfo.InvariantCulture), statusLine!.Split(':')[1].Trim());
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
