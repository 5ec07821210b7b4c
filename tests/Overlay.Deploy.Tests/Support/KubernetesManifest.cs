using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Support;

/// <summary>Every object of a multi-document Kubernetes manifest, parsed with YamlDotNet. Immutable once loaded.</summary>
internal sealed class KubernetesManifest
{
    private KubernetesManifest(IReadOnlyList<YamlMappingNode> objects) => Objects = objects;

    /// <summary>The deploy/kubernetes/overlay.yaml of this repository.</summary>
    public static KubernetesManifest Overlay { get; } = Load(RepositoryFiles.KubernetesManifest);

    public IReadOnlyList<YamlMappingNode> Objects { get; }

    public IEnumerable<string> Kinds => Objects.Select(o => o.Text("kind"));

    public static KubernetesManifest Load(string path) => Parse(File.ReadAllText(path));

    public static KubernetesManifest Parse(string text)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(text))
        {
            stream.Load(reader);
        }
        var objects = new List<YamlMappingNode>();
        foreach (YamlDocument document in stream.Documents)
        {
            // A document holding only comments parses as an empty scalar; it declares nothing.
            if (document.RootNode is YamlScalarNode { Value: null or "" })
            {
                continue;
            }
            objects.Add(document.RootNode as YamlMappingNode
                ?? throw new InvalidDataException($"line {document.RootNode.Start.Line}: a manifest document must be a mapping"));
        }
        return new KubernetesManifest(objects);
    }

    public IEnumerable<YamlMappingNode> OfKind(string kind) => Objects.Where(o => o.Text("kind") == kind);

    public YamlMappingNode Single(string kind) => Assert.Single(OfKind(kind));

    public YamlMappingNode Single(string kind, string name) =>
        Assert.Single(OfKind(kind), o => o.Map("metadata").Text("name") == name);

    /// <summary>The value of <paramref name="key"/> in the ConfigMap <paramref name="name"/>, as a pod would see it.</summary>
    public string ConfigMapValue(string name, string key) => Single("ConfigMap", name).Map("data").Text(key);

    /// <summary>The value of <paramref name="key"/> in the one ConfigMap that holds it.</summary>
    public string ConfigValue(string key) =>
        Assert.Single(OfKind("ConfigMap"), c => c.Find("data")?.Find(key) is not null).Map("data").Text(key);

    public PodTemplate DaemonSetPod() => new(Single("DaemonSet").Map("spec").Map("template").Map("spec"));
}
