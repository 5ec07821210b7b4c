using Overlay.ControlPlane.Config;
using Overlay.ControlPlane.Leases;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.Tests.Leases;

public sealed class SubnetAllocatorTests
{
    private static NetworkConfig Config(string json) => NetworkConfigParser.Parse(json);

    private static Ipv4Subnet S(string text) => Ipv4Subnet.Parse(text);

    [Fact]
    public void CandidatesStartAtSubnetMinAndStepBySubnetSize()
    {
        NetworkConfig config = Config("""{"Network":"10.244.0.0/16"}""");

        IReadOnlyList<Ipv4Subnet> free = SubnetAllocator.FreeCandidates(config, []);

        Assert.Equal(SubnetAllocator.MaxCandidates, free.Count);
        Assert.Equal(S("10.244.1.0/24"), free[0]);
        Assert.Equal(S("10.244.2.0/24"), free[1]);
        Assert.Equal(S("10.244.100.0/24"), free[^1]);
    }

    [Fact]
    public void CandidatesOverlappingAnyLeaseAreSkipped()
    {
        NetworkConfig config = Config("""{"Network":"10.244.0.0/16","SubnetMax":"10.244.6.0"}""");
        Ipv4Subnet[] taken = [S("10.244.2.0/24"), S("10.244.4.0/23"), S("192.168.0.0/16")];

        IReadOnlyList<Ipv4Subnet> free = SubnetAllocator.FreeCandidates(config, taken);

        Assert.Equal([S("10.244.1.0/24"), S("10.244.3.0/24"), S("10.244.6.0/24")], free);
    }

    [Fact]
    public void BothBoundsAreInclusive()
    {
        NetworkConfig config = Config("""{"Network":"10.244.0.0/16","SubnetMin":"10.244.7.0","SubnetMax":"10.244.8.0"}""");

        Assert.Equal([S("10.244.7.0/24"), S("10.244.8.0/24")], SubnetAllocator.FreeCandidates(config, []));
    }

    [Fact]
    public void RangeAtTheTopOfTheAddressSpaceDoesNotWrap()
    {
        NetworkConfig config = Config("""{"Network":"255.255.255.0/24","SubnetLen":26}""");

        IReadOnlyList<Ipv4Subnet> free = SubnetAllocator.FreeCandidates(config, []);

        Assert.Equal([S("255.255.255.64/26"), S("255.255.255.128/26"), S("255.255.255.192/26")], free);
    }

    [Fact]
    public void PickIsUniformOverTheCollectedCandidates()
    {
        NetworkConfig config = Config("""{"Network":"10.244.0.0/16"}""");
        var random = new Random(1234);
        var seen = new HashSet<Ipv4Subnet>();

        for (int i = 0; i < 2000; i++)
        {
            Ipv4Subnet picked = SubnetAllocator.Pick(config, [], random)!.Value;
            Assert.InRange(picked.Network, Ipv4.Parse("10.244.1.0"), Ipv4.Parse("10.244.100.0"));
            seen.Add(picked);
        }

        Assert.Equal(SubnetAllocator.MaxCandidates, seen.Count);
    }

    [Fact]
    public void SameSeedPicksTheSameSubnet()
    {
        NetworkConfig config = Config("""{"Network":"10.244.0.0/16"}""");

        Assert.Equal(SubnetAllocator.Pick(config, [], new Random(7)), SubnetAllocator.Pick(config, [], new Random(7)));
    }

    [Fact]
    public void FullRangeGivesNoSubnet()
    {
        NetworkConfig config = Config("""{"Network":"10.244.0.0/28"}""");
        Ipv4Subnet[] taken = [S("10.244.0.4/30"), S("10.244.0.8/30"), S("10.244.0.12/30")];

        Assert.Null(SubnetAllocator.Pick(config, taken, new Random(1)));
        Assert.Equal(S("10.244.0.8/30"), SubnetAllocator.Pick(config, [taken[0], taken[2]], new Random(1)));
    }
}
