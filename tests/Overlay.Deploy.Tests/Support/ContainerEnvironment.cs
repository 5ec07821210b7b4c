using YamlDotNet.RepresentationModel;

namespace Overlay.Deploy.Tests.Support;

/// <summary>
/// The environment a container would start with: literal values as written, ConfigMap keys read from the same
/// manifest (so a dangling reference fails), and downward-API fields from the stand-ins a test supplies for what
/// only a running node knows.
/// </summary>
internal static class ContainerEnvironment
{
    public static IReadOnlyDictionary<string, string> Resolve(
        KubernetesManifest manifest, YamlMappingNode container, IReadOnlyDictionary<string, string> fieldStandIns)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (YamlMappingNode variable in container.MapsOrEmpty("env"))
        {
            string name = variable.Text("name");
            environment.Add(name, ValueOf(manifest, variable, fieldStandIns));
        }
        return environment;
    }

    /// <summary>How each variable gets its value: "value", "configMapKeyRef", "fieldRef", ...</summary>
    public static IReadOnlyDictionary<string, string> Sources(YamlMappingNode container) =>
        container.MapsOrEmpty("env").ToDictionary(
            v => v.Text("name"),
            v => v.Find("valueFrom") is YamlMappingNode from ? ((YamlScalarNode)from.Children.Keys.Single()).Value! : "value",
            StringComparer.Ordinal);

    private static string ValueOf(KubernetesManifest manifest, YamlMappingNode variable, IReadOnlyDictionary<string, string> fieldStandIns)
    {
        if (variable.Find("valueFrom") is not YamlMappingNode from)
        {
            return variable.OptionalText("value") ?? "";
        }
        if (from.Find("configMapKeyRef") is YamlMappingNode configMapKey)
        {
            return manifest.ConfigMapValue(configMapKey.Text("name"), configMapKey.Text("key"));
        }
        if (from.Find("fieldRef") is YamlMappingNode field)
        {
            string path = field.Text("fieldPath");
            return fieldStandIns.TryGetValue(path, out string? value)
                ? value
                : throw new InvalidDataException($"{variable.Text("name")}: no stand-in for fieldRef {path}");
        }
        throw new InvalidDataException($"line {from.Start.Line}: {variable.Text("name")} uses a valueFrom source these tests cannot resolve");
    }
}
