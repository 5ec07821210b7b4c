using Overlay.Ctl.Commands.Stats;

namespace Overlay.Ctl.Tests.Stats;

public class SiUnitsTests
{
    [Theory]
    [InlineData(0, "0 bit/s")]
    [InlineData(125, "1.00 kbit/s")]
    [InlineData(795_000_000, "6.36 Gbit/s")]
    [InlineData(1_050_000_000, "8.40 Gbit/s")]
    [InlineData(12.5, "100 bit/s")]
    [InlineData(124_937.5, "1.00 Mbit/s")]
    public void ByteRatesReadAsBitsPerSecondWithAnSiPrefix(double bytesPerSecond, string expected) =>
        Assert.Equal(expected, SiUnits.BitRate(bytesPerSecond));

    [Theory]
    [InlineData(3, "3 pkt/s")]
    [InlineData(2.5, "2.50 pkt/s")]
    [InlineData(93_200, "93.2 kpkt/s")]
    [InlineData(812_449, "812 kpkt/s")]
    [InlineData(999_499, "999 kpkt/s")]
    [InlineData(999_500, "1.00 Mpkt/s")]
    public void PacketRatesKeepThreeSignificantDigits(double packetsPerSecond, string expected) =>
        Assert.Equal(expected, SiUnits.PacketRate(packetsPerSecond));

    [Theory]
    [InlineData(10, "10 pkt")]
    [InlineData(999, "999 pkt")]
    [InlineData(1000, "1.00 kpkt")]
    [InlineData(123_456_789, "123 Mpkt")]
    public void SmallTotalsStayExactAndLargeOnesGetAPrefix(double packets, string expected) =>
        Assert.Equal(expected, SiUnits.Packets(packets));

    [Fact]
    public void BytesUseDecimalPrefixes() => Assert.Equal("1.20 GB", SiUnits.Bytes(1_200_000_000));
}
