using System.Text;
using Overlay.ControlPlane.Etcd;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.Etcd;

public sealed class LeaseAttributesTests
{
    [Fact]
    public void WritesExactlyWhatAFlannelUdpNodeWrites()
    {
        var attributes = new LeaseAttributes(Ipv4.Parse("1.2.3.4"));

        Assert.Equal("""{"PublicIP":"1.2.3.4","PublicIPv6":null}""", attributes.ToJson());
        Assert.Equal(Encoding.ASCII.GetBytes("""{"PublicIP":"1.2.3.4","PublicIPv6":null}"""), attributes.ToUtf8());
    }

    [Theory]
    [InlineData("""{"PublicIP":"198.18.0.7","PublicIPv6":null}""", "198.18.0.7")]
    [InlineData("""{"PublicIP":"198.18.0.7"}""", "198.18.0.7")]
    [InlineData("""{"publicip":"198.18.0.7","PUBLICIPV6":null}""", "198.18.0.7")]
    [InlineData("""{"PublicIP":"192.168.64.3","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"aa:bb:cc:dd:ee:ff"}}""", "192.168.64.3")]
    [InlineData("""{"PublicIP":"10.0.0.1","PublicIPv6":"fd00::1"}""", "10.0.0.1")]
    [InlineData(""" { "PublicIP" : "10.0.0.2" , "Extra": [1,2,3] } """, "10.0.0.2")]
    public void ReadsFlannelValues(string json, string publicIp)
    {
        Assert.True(LeaseAttributes.TryParse(Encoding.UTF8.GetBytes(json), out LeaseAttributes? attributes, out string? error), error);
        Assert.Equal(Ipv4.Parse(publicIp), attributes!.PublicIp);
    }

    [Theory]
    [InlineData("""{"PublicIP":""}""")]
    [InlineData("""{"PublicIP":"1.2.3.4","PublicIPv6":""}""")]
    [InlineData("""{"PublicIP":"1.2.3.4","PublicIPv6":"nope"}""")]
    [InlineData("""{"PublicIP":"fd00::1"}""")]
    [InlineData("""{"PublicIP":null}""")]
    [InlineData("""{"PublicIP":16909060}""")]
    [InlineData("""{"PublicIPv6":null}""")]
    [InlineData("""{"PublicIP":"1.2.3.4"} trailing""")]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("""["1.2.3.4"]""")]
    public void RejectsMalformedValues(string json)
    {
        Assert.False(LeaseAttributes.TryParse(Encoding.UTF8.GetBytes(json), out LeaseAttributes? attributes, out string? error));
        Assert.Null(attributes);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void WhatWeWriteWeRead()
    {
        var written = new LeaseAttributes(Ipv4.Parse("198.18.0.200"));

        Assert.True(LeaseAttributes.TryParse(written.ToUtf8(), out LeaseAttributes? read, out _));
        Assert.Equal(written, read);
    }
}
