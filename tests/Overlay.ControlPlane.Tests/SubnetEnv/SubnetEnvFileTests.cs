using System.Runtime.Versioning;
using System.Text;
using Overlay.ControlPlane.SubnetEnv;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.SubnetEnv;

[UnsupportedOSPlatform("windows")]
public sealed class SubnetEnvFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ovt-subnetenv-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void FormatMatchesFlannelsSampleByteForByte()
    {
        string text = SubnetEnvFile.Format(Ipv4Subnet.Parse("10.1.0.0/16"), Ipv4Subnet.Parse("10.1.74.0/24"), 1472, ipMasquerade: false);

        Assert.Equal("FLANNEL_NETWORK=10.1.0.0/16\nFLANNEL_SUBNET=10.1.74.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n", text);
    }

    [Fact]
    public void WriteCreatesTheParentAndAnAtomicallyRenamedFile()
    {
        string path = Path.Combine(_dir, "run", "flannel", "subnet.env");

        SubnetEnvFile.Write(path, Ipv4Subnet.Parse("10.244.0.0/16"), Ipv4Subnet.Parse("10.244.91.0/24"), 1450, ipMasquerade: true);

        Assert.Equal(
            Encoding.ASCII.GetBytes("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.91.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n"),
            File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.GetDirectoryName(path)!) & (UnixFileMode)0b111_111_111);
        Assert.Equal(["subnet.env"], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteReplacesAnExistingFileWholly()
    {
        string path = Path.Combine(_dir, "subnet.env");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, new string('x', 4096));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        SubnetEnvFile.Write(path, Ipv4Subnet.Parse("10.244.0.0/16"), Ipv4Subnet.Parse("10.244.5.0/24"), 1472, ipMasquerade: false);

        Assert.Equal("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.5.1/24\nFLANNEL_MTU=1472\nFLANNEL_IPMASQ=false\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public void ReadsBackTheSubnetItWrote()
    {
        string path = Path.Combine(_dir, "subnet.env");
        SubnetEnvFile.Write(path, Ipv4Subnet.Parse("10.244.0.0/16"), Ipv4Subnet.Parse("10.244.91.0/24"), 1472, ipMasquerade: false);

        Assert.Equal(Ipv4Subnet.Parse("10.244.91.0/24"), SubnetEnvFile.ReadPreviousSubnet(path));
    }

    [Theory]
    [InlineData("FLANNEL_SUBNET=10.1.74.1/24\n", "10.1.74.0/24")]
    [InlineData("# written by hand\nexport FLANNEL_SUBNET=\"10.1.74.1/24\"\n", "10.1.74.0/24")]
    [InlineData("FLANNEL_NETWORK=10.1.0.0/16\r\nFLANNEL_SUBNET = '10.1.9.1/25'\r\n", "10.1.9.0/25")]
    [InlineData("FLANNEL_SUBNET=10.1.1.1/24\nFLANNEL_SUBNET=10.1.2.1/24\n", "10.1.2.0/24")]
    public void ReadsDotenvVariants(string content, string expected)
    {
        string path = Path.Combine(_dir, "subnet.env");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, content);

        Assert.Equal(Ipv4Subnet.Parse(expected), SubnetEnvFile.ReadPreviousSubnet(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("FLANNEL_NETWORK=10.1.0.0/16\n")]
    [InlineData("FLANNEL_SUBNET=not-a-cidr\n")]
    [InlineData("\0\0binary")]
    public void UnusableContentMeansNoPreviousSubnet(string content)
    {
        string path = Path.Combine(_dir, "subnet.env");
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, content);

        Assert.Null(SubnetEnvFile.ReadPreviousSubnet(path));
    }

    [Fact]
    public void MissingFileOrDirectoryMeansNoPreviousSubnet()
    {
        Assert.Null(SubnetEnvFile.ReadPreviousSubnet(Path.Combine(_dir, "nope", "subnet.env")));
        Directory.CreateDirectory(_dir);
        Assert.Null(SubnetEnvFile.ReadPreviousSubnet(_dir));
    }

    [Fact]
    public void CheckWritableCreatesTheDirectoryButLeavesNoFileBehind()
    {
        string path = Path.Combine(_dir, "run", "subnet.env");

        SubnetEnvFile.CheckWritable(path);

        Assert.True(Directory.Exists(Path.GetDirectoryName(path)));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void CheckWritableRefusesAPathUnderAFileNamingIt()
    {
        Directory.CreateDirectory(_dir);
        string plain = Path.Combine(_dir, "plain");
        File.WriteAllText(plain, "");

        IOException e = Assert.Throws<IOException>(() => SubnetEnvFile.CheckWritable(Path.Combine(plain, "sub", "subnet.env")));

        Assert.Contains($"{plain} is a file, not a directory", e.Message);
    }

    [Fact]
    public void CheckWritableRefusesADirectoryAsTheFile()
    {
        Directory.CreateDirectory(_dir);

        IOException e = Assert.Throws<IOException>(() => SubnetEnvFile.CheckWritable(_dir));

        Assert.Contains("is a directory", e.Message);
    }
}
