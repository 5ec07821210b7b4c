using System.Buffers;
using System.Buffers.Binary;
using Overlay.DataPlane.Buffers;
using Overlay.DataPlane.Capture;
using Overlay.TestKit.Allocation;
using Overlay.TestKit.Packets;

namespace Overlay.Ctl.Tests.Capture;

public class CaptureTapTests
{
    private static readonly DateTimeOffset s_now = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Fact]
    public void OfferIsIgnoredWhileNoSessionIsOpen()
    {
        var tap = new CaptureTap(capacity: 8, snapLength: 64, new FixedTime(s_now));
        tap.Offer(BatchOf(3), CaptureDirection.Outbound);
        Assert.False(tap.IsEnabled);
        Assert.True(tap.TryStartSession(out CaptureSession? session));
        using (session)
        {
            var output = new ArrayBufferWriter<byte>();
            Assert.Equal(0, session!.DrainTo(output, 100));
        }
    }

    [Fact]
    public void SessionWritesEveryNonEmptyPacketAsPcap()
    {
        var tap = new CaptureTap(capacity: 8, snapLength: 64, new FixedTime(s_now));
        Assert.True(tap.TryStartSession(out CaptureSession? session));
        using (session)
        {
            PacketBatch batch = BatchOf(3);
            batch.Length(1) = 0; // dropped in place by the forwarder: not captured
            tap.Offer(batch, CaptureDirection.Inbound);

            var output = new ArrayBufferWriter<byte>();
            session!.WriteFileHeader(output);
            Assert.Equal(2, session.DrainTo(output, 100));
            Assert.Equal(2, session.Captured);

            ReadOnlySpan<byte> pcap = output.WrittenSpan;
            Assert.Equal(Pcap.MagicMicroseconds, BinaryPrimitives.ReadUInt32LittleEndian(pcap));
            int offset = Pcap.GlobalHeaderLength;
            foreach (int index in new[] { 0, 2 })
            {
                byte[] packet = batch.Packet(index).ToArray();
                uint seconds = BinaryPrimitives.ReadUInt32LittleEndian(pcap[offset..]);
                Assert.Equal((uint)s_now.ToUnixTimeSeconds(), seconds);
                Assert.Equal((uint)(16 + packet.Length), BinaryPrimitives.ReadUInt32LittleEndian(pcap[(offset + 8)..]));
                Assert.Equal((uint)(16 + packet.Length), BinaryPrimitives.ReadUInt32LittleEndian(pcap[(offset + 12)..]));
                offset += Pcap.RecordHeaderLength;
                // Linux cooked header: "to us" (inbound), ARPHRD_NONE, no address, IPv4.
                Assert.Equal(
                    (byte[])[0, 0, 0xFF, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00],
                    pcap.Slice(offset, 16).ToArray());
                offset += 16;
                Assert.Equal(packet, pcap.Slice(offset, packet.Length).ToArray());
                offset += packet.Length;
            }
            Assert.Equal(offset, pcap.Length);
        }
        Assert.False(tap.IsEnabled);
    }

    [Fact]
    public void PacketsThatDoNotFitAreSkippedAndCounted()
    {
        var tap = new CaptureTap(capacity: 4, snapLength: 64, new FixedTime(s_now));
        Assert.True(tap.TryStartSession(out CaptureSession? session));
        using (session)
        {
            tap.Offer(BatchOf(6), CaptureDirection.Outbound);
            Assert.Equal(2, session!.Skipped);
            Assert.Equal(2, tap.Skipped);
            Assert.Equal(4, session.DrainTo(new ArrayBufferWriter<byte>(), 100));
        }
    }

    [Fact]
    public void DrainStopsAtTheRequestedCount()
    {
        var tap = new CaptureTap(capacity: 8, snapLength: 64, new FixedTime(s_now));
        Assert.True(tap.TryStartSession(out CaptureSession? session));
        using (session)
        {
            tap.Offer(BatchOf(5), CaptureDirection.Outbound);
            Assert.Equal(3, session!.DrainTo(new ArrayBufferWriter<byte>(), 3));
            Assert.Equal(2, session.DrainTo(new ArrayBufferWriter<byte>(), 3));
        }
    }

    [Fact]
    public void OnlyOneSessionAtATimeAndANewOneStartsEmpty()
    {
        var tap = new CaptureTap(capacity: 8, snapLength: 64, new FixedTime(s_now));
        Assert.True(tap.TryStartSession(out CaptureSession? first));
        Assert.False(tap.TryStartSession(out CaptureSession? refused));
        Assert.Null(refused);
        tap.Offer(BatchOf(2), CaptureDirection.Outbound);
        first!.Dispose();

        Assert.True(tap.TryStartSession(out CaptureSession? second));
        using (second)
        {
            Assert.Equal(0, second!.DrainTo(new ArrayBufferWriter<byte>(), 100));
        }
    }

    [Fact]
    public void OfferAllocatesNothingWhetherCaptureIsOffOrOn()
    {
        var tap = new CaptureTap(capacity: 64, snapLength: 128);
        PacketBatch batch = BatchOf(8);
        tap.Offer(batch, CaptureDirection.Outbound); // JIT and first-call work outside the measurement

        SteadyStateAllocation.AssertClean(() => SteadyStateAllocation.BytesAllocatedBy(() => OfferMany(tap, batch, CaptureDirection.Outbound)),
            "1000 offers with capture off");

        Assert.True(tap.TryStartSession(out CaptureSession? session));
        using (session)
        {
            tap.Offer(batch, CaptureDirection.Inbound);
            // Nothing drains the session: the ring fills early in the first window and later offers count skips.
            SteadyStateAllocation.AssertClean(() => SteadyStateAllocation.BytesAllocatedBy(() => OfferMany(tap, batch, CaptureDirection.Inbound)),
                "1000 offers with capture on");
            Assert.True(session!.Skipped > 0);
        }
    }

    private static void OfferMany(CaptureTap tap, PacketBatch batch, CaptureDirection direction)
    {
        for (int i = 0; i < 1000; i++)
        {
            tap.Offer(batch, direction);
        }
    }

    private static PacketBatch BatchOf(int count)
    {
        var batch = new PacketBatch(capacity: 16, slotSize: 256);
        for (int i = 0; i < count; i++)
        {
            byte[] packet = PacketBuilder.Between("10.244.1.2", $"10.244.2.{i + 1}").Udp();
            packet.CopyTo(batch.Slot(i));
            batch.Length(i) = packet.Length;
        }
        batch.Count = count;
        return batch;
    }
}
