using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Support;

/// <summary>
/// Strict navigation of a parsed manifest: a missing key or a node of the wrong shape throws with the line it was
/// expected on, so a broken manifest fails the test that walks it rather than passing on a null.
/// </summary>
internal static class YamlNodeExtensions
{
    public static YamlNode? Find(this YamlNode node, string key) =>
        node is YamlMappingNode mapping && mapping.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? value : null;

    public static YamlMappingNode Map(this YamlNode node, string key) =>
        node.Find(key) as YamlMappingNode ?? throw Missing(node, key, "mapping");

    public static YamlSequenceNode Seq(this YamlNode node, string key) =>
        node.Find(key) as YamlSequenceNode ?? throw Missing(node, key, "sequence");

    /// <summary>The sequence under <paramref name="key"/>, or empty when the key is absent (e.g. initContainers).</summary>
    public static IReadOnlyList<YamlMappingNode> MapsOrEmpty(this YamlNode node, string key) =>
        node.Find(key) is null ? [] : node.Seq(key).Maps();

    public static string Text(this YamlNode node, string key) =>
        node.OptionalText(key) ?? throw Missing(node, key, "scalar");

    public static string? OptionalText(this YamlNode node, string key) => node.Find(key) switch
    {
        null => null,
        YamlScalarNode scalar => scalar.Value ?? "",
        YamlNode other => throw new InvalidDataException($"line {other.Start.Line}: '{key}' is not a scalar"),
    };

    public static IReadOnlyList<YamlMappingNode> Maps(this YamlSequenceNode sequence) =>
        sequence.Children.Select(item => item as YamlMappingNode
            ?? throw new InvalidDataException($"line {item.Start.Line}: sequence item is not a mapping")).ToArray();

    public static IReadOnlyList<string> Texts(this YamlSequenceNode sequence) =>
        sequence.Children.Select(item => (item as YamlScalarNode)?.Value
            ?? throw new InvalidDataException($"line {item.Start.Line}: sequence item is not a scalar")).ToArray();

    private static InvalidDataException Missing(YamlNode node, string key, string shape) =>
        new($"line {node.Start.Line}: expected '{key}' as a {shape}");
}
