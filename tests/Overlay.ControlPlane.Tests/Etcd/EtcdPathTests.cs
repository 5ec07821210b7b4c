using Overlay.ControlPlane.Etcd;

namespace Overlay.ControlPlane.Tests.Etcd;

public sealed class EtcdPathTests
{
    // Vectors from Go's path.Clean documentation and tests.
    [Theory]
    [InlineData("", ".")]
    [InlineData("/", "/")]
    [InlineData("abc/", "abc")]
    [InlineData("a//b", "a/b")]
    [InlineData("/coreos.com//network/", "/coreos.com/network")]
    [InlineData("a/./b", "a/b")]
    [InlineData("a/b/../c", "a/c")]
    [InlineData("/../a", "/a")]
    [InlineData("../../a", "../../a")]
    [InlineData("a/../..", "..")]
    public void CleanMatchesGo(string path, string expected)
    {
        Assert.Equal(expected, EtcdPath.Clean(path));
    }

    [Theory]
    [InlineData("/coreos.com/network", "/coreos.com/network/subnets/10.1.2.0-24")]
    [InlineData("/coreos.com/network/", "/coreos.com/network/subnets/10.1.2.0-24")]
    [InlineData("//coreos.com///network//", "/coreos.com/network/subnets/10.1.2.0-24")]
    [InlineData("coreos.com/network", "coreos.com/network/subnets/10.1.2.0-24")]
    public void JoinDropsDuplicateAndTrailingSlashes(string prefix, string expected)
    {
        Assert.Equal(expected, EtcdPath.Join(prefix, "subnets", "10.1.2.0-24"));
    }

    [Fact]
    public void JoinSkipsEmptyParts()
    {
        Assert.Equal("/a/b", EtcdPath.Join("", "/a", "", "b"));
        Assert.Equal("", EtcdPath.Join("", ""));
    }
}
