using System.Runtime.InteropServices;

namespace Overlay.Linux.Tests;

public sealed class NativeHeapTests
{
    [Fact]
    public unsafe void FreedNativeMemoryBelowALiveBlockIsGivenBack()
    {
        // 64 blocks of 64 KiB (below glibc's mmap threshold, so they come from an arena), all but the last freed: the
        // live one pins the arena's top, so only a trim can release the pages below it.
        const int blocks = 64;
        var allocated = new nint[blocks];
        for (int i = 0; i < blocks; i++)
        {
            allocated[i] = (nint)NativeMemory.Alloc(64 * 1024);
            new Span<byte>((void*)allocated[i], 64 * 1024).Fill(1);
        }
        for (int i = 0; i < blocks - 1; i++)
        {
            NativeMemory.Free((void*)allocated[i]);
        }

        Assert.True(NativeHeap.Trim());

        NativeMemory.Free((void*)allocated[^1]);
    }
}
