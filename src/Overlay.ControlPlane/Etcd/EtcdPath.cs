using System.Text;

namespace Overlay.ControlPlane.Etcd;

/// <summary>
/// Go's <c>path.Join</c>/<c>path.Clean</c>, which flannel uses to build every key: empty parts are dropped,
/// duplicate and trailing slashes removed, "." and ".." resolved lexically.
/// </summary>
public static class EtcdPath
{
    public static string Join(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        string joined = string.Join('/', parts.Where(p => p.Length > 0));
        return joined.Length == 0 ? "" : Clean(joined);
    }

    public static string Clean(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (path.Length == 0)
        {
            return ".";
        }
        bool rooted = path[0] == '/';
        var kept = new List<string>();
        foreach (string segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".")
            {
                continue;
            }
            if (segment == "..")
            {
                if (kept.Count > 0 && kept[^1] != "..")
                {
                    kept.RemoveAt(kept.Count - 1);
                }
                else if (!rooted)
                {
                    kept.Add(segment);
                }
                continue;
            }
            kept.Add(segment);
        }
        var builder = new StringBuilder();
        if (rooted)
        {
            builder.Append('/');
        }
        builder.AppendJoin('/', kept);
        return builder.Length == 0 ? "." : builder.ToString();
    }
}
