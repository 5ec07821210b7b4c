using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Support;

/// <summary>A pod spec from a workload template, with lookups that resolve mounts to the volumes behind them.</summary>
internal sealed class PodTemplate(YamlMappingNode spec)
{
    public YamlMappingNode Spec { get; } = spec;

    public IReadOnlyList<YamlMappingNode> Containers => Spec.Seq("containers").Maps();

    public IReadOnlyList<YamlMappingNode> InitContainers => Spec.MapsOrEmpty("initContainers");

    public IEnumerable<YamlMappingNode> AllContainers => InitContainers.Concat(Containers);

    public IReadOnlyList<YamlMappingNode> Volumes => Spec.MapsOrEmpty("volumes");

    public YamlMappingNode Container(string name) => Assert.Single(Containers, c => c.Text("name") == name);

    public YamlMappingNode Volume(string name) => Assert.Single(Volumes, v => v.Text("name") == name);

    /// <summary>The host path behind the mount at <paramref name="mountPath"/> in <paramref name="container"/>, or null if it is not a hostPath volume.</summary>
    public YamlMappingNode? HostPathAt(YamlMappingNode container, string mountPath)
    {
        YamlMappingNode mount = MountAt(container, mountPath);
        return Volume(mount.Text("name")).Find("hostPath") as YamlMappingNode;
    }

    public static YamlMappingNode MountAt(YamlMappingNode container, string mountPath) =>
        Assert.Single(container.MapsOrEmpty("volumeMounts"), m => m.Text("mountPath").TrimEnd('/') == mountPath.TrimEnd('/'));

    public static IReadOnlyList<string> Args(YamlMappingNode container) =>
        container.Find("args") is null ? [] : container.Seq("args").Texts();
}
