using System.Globalization;
using System.Text;
using Overlay.DataPlane.Routing;

namespace Overlay.ControlPlane.SubnetEnv;

/// <summary>
/// flannel's subnet.env, read by the flannel CNI plugin and mk-docker-opts.sh: fixed key order, <c>KEY=VALUE\n</c>
/// lines, no quotes. Written atomically (hidden temp file in the same directory, fsync, rename; file 0644, parent
/// directory 0755). Also read back at startup to reuse the previous subnet. Stateless; concurrent writers to the
/// same path are not supported (one daemon owns one subnet file).
/// </summary>
public static class SubnetEnvFile
{
    private const UnixFileMode EnvFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode ParentDirectoryMode = EnvFileMode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    /// <summary>The exact file content (IPv4 only: the udp backend allocates no IPv6 subnet).</summary>
    public static string Format(Ipv4Subnet network, Ipv4Subnet subnet, int mtu, bool ipMasquerade) =>
        string.Create(CultureInfo.InvariantCulture,
            $"FLANNEL_NETWORK={network}\nFLANNEL_SUBNET={Ipv4.Format(subnet.FirstHost)}/{subnet.PrefixLength}\nFLANNEL_MTU={mtu}\nFLANNEL_IPMASQ={(ipMasquerade ? "true" : "false")}\n");

    /// <summary>Writes the file atomically; throws IOException/UnauthorizedAccessException on failure.</summary>
    public static void Write(string path, Ipv4Subnet network, Ipv4Subnet subnet, int mtu, bool ipMasquerade)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("subnet.env is written with Unix file modes");
        }
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, ParentDirectoryMode);
        }
        string temporary = Path.Combine(directory, "." + Path.GetFileName(fullPath));
        byte[] content = Encoding.ASCII.GetBytes(Format(network, subnet, mtu, ipMasquerade));
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = EnvFileMode };
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }
            // The create mode is filtered by the umask; set it explicitly as renameio does.
            File.SetUnixFileMode(temporary, EnvFileMode);
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Proves that <see cref="Write"/> will be able to write <paramref name="path"/> (its directory created if
    /// missing, a file created and removed in it) without touching the file itself, so a daemon can refuse to start
    /// before it takes a lease. Throws IOException/UnauthorizedAccessException naming the reason.
    /// </summary>
    public static void CheckWritable(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("subnet.env is written with Unix file modes");
        }
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
        {
            throw new IOException($"{fullPath} is a directory");
        }
        string directory = Path.GetDirectoryName(fullPath)!;
        for (string? ancestor = directory; ancestor is not null; ancestor = Path.GetDirectoryName(ancestor))
        {
            if (File.Exists(ancestor))
            {
                throw new IOException($"{ancestor} is a file, not a directory");
            }
        }
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, ParentDirectoryMode);
        }
        string probe = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.check-{Environment.ProcessId}");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.DeleteOnClose };
        using (new FileStream(probe, options))
        {
        }
    }

    /// <summary>
    /// The network of FLANNEL_SUBNET in the file (10.244.91.1/24 gives 10.244.91.0/24), or null when the file is
    /// missing, unreadable, or has no usable FLANNEL_SUBNET.
    /// </summary>
    public static Ipv4Subnet? ReadPreviousSubnet(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
        string? value = DotEnv.Find(text, "FLANNEL_SUBNET");
        return value is not null && Ipv4Subnet.TryParse(value, out Ipv4Subnet subnet) ? subnet : null;
    }
}
