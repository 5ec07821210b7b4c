using Overlay.DataPlane.Capture;

namespace Overlay.Ctl.Tests.Capture;

public class CaptureRingTests
{
    [Fact]
    public void PacketsComeOutInOrderWithTheirMetadata()
    {
        var ring = new CaptureRing(capacity: 8, snapLength: 64);
        for (byte i = 1; i <= 5; i++)
        {
            Assert.True(ring.TryWrite(Enumerable.Repeat(i, 20 + i).ToArray(), utcTicks: 1000 + i, (CaptureDirection)(i % 2)));
        }
        for (byte i = 1; i <= 5; i++)
        {
            Assert.True(ring.TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes));
            Assert.Equal(new CaptureRecord(1000 + i, (CaptureDirection)(i % 2), 20 + i), record);
            Assert.Equal(20 + i, bytes.Length);
            Assert.True(bytes.IndexOfAnyExcept(i) < 0);
            ring.Release();
        }
        Assert.False(ring.TryPeek(out _, out _));
    }

    [Fact]
    public void PacketsLongerThanTheSnapLengthAreCutButKeepTheirLength()
    {
        var ring = new CaptureRing(capacity: 2, snapLength: 32);
        byte[] packet = [.. Enumerable.Range(0, 100).Select(i => (byte)i)];
        Assert.True(ring.TryWrite(packet, 1, CaptureDirection.Outbound));
        Assert.True(ring.TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes));
        Assert.Equal(100, record.OriginalLength);
        Assert.Equal(packet.AsSpan(0, 32).ToArray(), bytes.ToArray());
    }

    [Fact]
    public void APacketInTwoPiecesIsCapturedAsOneWithItsWholeLength()
    {
        var ring = new CaptureRing(capacity: 2, snapLength: 32);
        byte[] head = [.. Enumerable.Range(0, 20).Select(i => (byte)i)];
        byte[] tail = [.. Enumerable.Range(20, 80).Select(i => (byte)i)];
        Assert.True(ring.TryWrite(head, tail, 1, CaptureDirection.Outbound));
        Assert.True(ring.TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes));
        Assert.Equal(100, record.OriginalLength);
        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), bytes.ToArray());
    }

    [Fact]
    public void AFullRingRefusesWritesUntilTheConsumerReleases()
    {
        var ring = new CaptureRing(capacity: 4, snapLength: 20);
        byte[] packet = new byte[20];
        for (int i = 0; i < 4; i++)
        {
            Assert.True(ring.TryWrite(packet, i, CaptureDirection.Inbound));
        }
        Assert.False(ring.TryWrite(packet, 4, CaptureDirection.Inbound));
        Assert.True(ring.TryPeek(out CaptureRecord first, out _));
        Assert.Equal(0, first.UtcTicks);
        ring.Release();
        Assert.True(ring.TryWrite(packet, 5, CaptureDirection.Inbound));
        Assert.Equal(4, ring.Discard());
        Assert.False(ring.TryPeek(out _, out _));
    }

    [Fact]
    public void CapacityRoundsUpToAPowerOfTwo()
    {
        Assert.Equal(8, new CaptureRing(5, 20).Capacity);
        Assert.Equal(1024, new CaptureRing(1024, 20).Capacity);
    }

    [Fact]
    public void ReleaseWithoutAPacketIsAnError()
    {
        var ring = new CaptureRing(capacity: 2, snapLength: 20);
        Assert.Throws<InvalidOperationException>(ring.Release);
    }

    [Fact]
    public async Task ConcurrentProducersLoseNothingTheyWereToldWasWritten()
    {
        const int producers = 2;
        const int perProducer = 20_000;
        var ring = new CaptureRing(capacity: 256, snapLength: 20);
        var accepted = new int[producers];
        var seen = new int[producers];
        using var done = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task[] writers = [.. Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            byte[] packet = new byte[20];
            for (int i = 0; i < perProducer; i++)
            {
                packet[0] = (byte)p;
                if (ring.TryWrite(packet, i, CaptureDirection.Outbound))
                {
                    accepted[p]++;
                }
            }
        }))];
        Task all = Task.WhenAll(writers);
        var lastTicks = new long[] { -1, -1 };
        while (!done.IsCancellationRequested)
        {
            bool finished = all.IsCompleted;
            while (ring.TryPeek(out CaptureRecord record, out ReadOnlySpan<byte> bytes))
            {
                int producer = bytes[0];
                Assert.True(record.UtcTicks > lastTicks[producer], "one producer's packets stay in order");
                lastTicks[producer] = record.UtcTicks;
                seen[producer]++;
                ring.Release();
            }
            if (finished)
            {
                break;
            }
            await Task.Yield();
        }
        await all;
        Assert.Equal(accepted, seen);
        Assert.True(seen.Sum() > 0);
    }
}
