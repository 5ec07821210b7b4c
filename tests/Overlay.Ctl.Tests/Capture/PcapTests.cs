using Overlay.DataPlane.Capture;

namespace Overlay.Ctl.Tests.Capture;

public class PcapTests
{
    [Fact]
    public void GlobalHeaderIsLittleEndianMicrosecondRawIp()
    {
        byte[] header = new byte[Pcap.GlobalHeaderLength];
        Pcap.WriteGlobalHeader(header, snapLength: 256);
        byte[] expected =
        [
            0xD4, 0xC3, 0xB2, 0xA1, // magic, microsecond timestamps
            0x02, 0x00, 0x04, 0x00, // version 2.4
            0x00, 0x00, 0x00, 0x00, // thiszone
            0x00, 0x00, 0x00, 0x00, // sigfigs
            0x00, 0x01, 0x00, 0x00, // snaplen 256
            0x65, 0x00, 0x00, 0x00, // LINKTYPE_RAW 101
        ];
        Assert.Equal(expected, header);
    }

    [Theory]
    [InlineData(CaptureDirection.Outbound, 4)]
    [InlineData(CaptureDirection.Inbound, 0)]
    public void CookedHeaderSaysWhichWayThePacketWent(CaptureDirection direction, byte packetType)
    {
        byte[] header = new byte[Pcap.CookedHeaderLength];
        Array.Fill(header, (byte)0xAA);
        Pcap.WriteCookedHeader(header, direction);
        byte[] expected =
        [
            0x00, packetType, // 4 LINUX_SLL_OUTGOING ("sent by us"), 0 LINUX_SLL_HOST ("unicast to us")
            0xFF, 0xFE, // ARPHRD_NONE, as a TUN device
            0x00, 0x00, // no link-layer address
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x08, 0x00, // IPv4
        ];
        Assert.Equal(expected, header);
    }

    [Fact]
    public void RecordHeaderSplitsUnixTimeIntoSecondsAndMicroseconds()
    {
        // 2021-01-01T00:00:00.123456Z = 1609459200 s (0x5FEE6600) + 123456 us (0x0001E240).
        long ticks = new DateTime(2021, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks + 1_234_567;
        byte[] header = new byte[Pcap.RecordHeaderLength];
        Pcap.WriteRecordHeader(header, ticks, capturedLength: 60, originalLength: 1400);
        byte[] expected =
        [
            0x00, 0x66, 0xEE, 0x5F,
            0x40, 0xE2, 0x01, 0x00,
            0x3C, 0x00, 0x00, 0x00,
            0x78, 0x05, 0x00, 0x00,
        ];
        Assert.Equal(expected, header);
    }

    [Fact]
    public void TooSmallDestinationIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pcap.WriteGlobalHeader(new byte[23], 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pcap.WriteRecordHeader(new byte[15], 0, 1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pcap.WriteCookedHeader(new byte[15], CaptureDirection.Inbound));
    }
}
