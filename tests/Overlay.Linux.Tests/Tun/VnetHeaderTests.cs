using Overlay.DataPlane.Buffers;
using Overlay.Linux.Interop;
using Overlay.Linux.Tun;

namespace Overlay.Linux.Tests.Tun;

/// <summary>OffloadInfo and the kernel's virtio_net_hdr carry the same fields in the same host-order bytes.</summary>
public sealed unsafe class VnetHeaderTests
{
    // A TSO superpacket as the kernel reports it for 1448-byte segments behind a 20-byte IPv4 and 20-byte TCP header.
    private static readonly byte[] s_tcpSuperpacketHeader = [0x01, 0x01, 0x28, 0x00, 0xA8, 0x05, 0x14, 0x00, 0x10, 0x00];

    private static readonly OffloadInfo s_tcpSuperpacket = new()
    {
        Flags = OffloadFlags.NeedsChecksum,
        GsoType = GsoType.TcpV4,
        HeaderLength = 40,
        GsoSize = 1448,
        ChecksumStart = 20,
        ChecksumOffset = 16,
    };

    [Fact]
    public void Reads_the_kernels_bytes_into_offload_info()
    {
        fixed (byte* bytes = s_tcpSuperpacketHeader)
        {
            Assert.Equal(s_tcpSuperpacket, VnetHeader.ToOffload((virtio_net_hdr*)bytes));
        }
    }

    [Fact]
    public void Writes_offload_info_as_the_kernels_bytes()
    {
        byte* bytes = stackalloc byte[sizeof(virtio_net_hdr)];
        new Span<byte>(bytes, sizeof(virtio_net_hdr)).Fill(0xEE);

        VnetHeader.Write(in s_tcpSuperpacket, (virtio_net_hdr*)bytes);

        Assert.Equal(s_tcpSuperpacketHeader, new Span<byte>(bytes, sizeof(virtio_net_hdr)).ToArray());
    }

    [Fact]
    public void An_all_zero_header_is_a_plain_packet_both_ways()
    {
        virtio_net_hdr header = default;
        Assert.Equal(OffloadInfo.None, VnetHeader.ToOffload(&header));

        header.flags = 0xFF;
        header.csum_offset = 0xFFFF;
        VnetHeader.Write(OffloadInfo.None, &header);
        Assert.Equal(default, header);
    }
}
