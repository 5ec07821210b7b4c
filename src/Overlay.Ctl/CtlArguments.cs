using System.Globalization;

namespace Overlay.Ctl;

/// <summary>
/// overlayctl's command line: <c>overlayctl [flags] COMMAND [command flags]</c>. Flags use flanneld's spellings
/// (<c>-etcd-endpoints</c>, <c>-etcd-prefix</c>) and forms (<c>-flag value</c>, <c>-flag=value</c>, <c>--flag</c>),
/// and may appear before or after the command. etcd settings fall back to <c>FLANNELD_ETCD_*</c> variables.
/// </summary>
internal sealed record CtlArguments
{
    public const string DefaultSocketPath = "/run/flannel/overlayd.sock";

    public const string DefaultEtcdPrefix = "/coreos.com/network";

    public const string Usage = """
        usage: overlayctl [-socket PATH] [-etcd-endpoints URLS] [-etcd-prefix PREFIX] COMMAND

        commands:
          routes                  the daemon's route table next to the leases in etcd, with drift marked
          leases                  the leases in etcd next to the daemon's routes
          stats [-c N] [-o json]  host and per-peer totals, then their rates each second (N samples; default until Ctrl+C);
                                  rates in bit/s and packets/s with SI prefixes, -o json: one JSON line per sample, raw numbers
          capture [-c N] [-w F]   stream forwarded packets as pcap to file F ('-' = stdout, the default)
                                  e.g. overlayctl capture -c 100 | tshark -r -

        flags:
          -socket PATH            the daemon's admin socket (default /run/flannel/overlayd.sock)
          -etcd-endpoints URLS    read etcd directly (comma-separated); otherwise the daemon reads it for us
          -etcd-prefix PREFIX     etcd key prefix (default /coreos.com/network)
        """;

    public required string Command { get; init; }

    public string SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>Endpoints to read etcd directly; null means "ask the daemon for its leases".</summary>
    public string? EtcdEndpoints { get; init; }

    public string EtcdPrefix { get; init; } = DefaultEtcdPrefix;

    /// <summary>-c: packets to capture or samples to print; 0 = until interrupted.</summary>
    public int Count { get; init; }

    /// <summary>-w: where capture writes pcap; "-" is stdout.</summary>
    public string WritePath { get; init; } = "-";

    /// <summary>-o: how stats prints its samples.</summary>
    public StatsFormat Format { get; init; } = StatsFormat.Table;

    public bool HelpRequested { get; init; }

    private static readonly string[] s_commands = ["routes", "leases", "stats", "capture"];

    public static CtlArguments Parse(IReadOnlyList<string> args, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        environment ??= Environment.GetEnvironmentVariable;
        string? command = null;
        string socket = DefaultSocketPath;
        string? endpoints = NullIfEmpty(environment("FLANNELD_ETCD_ENDPOINTS"));
        string prefix = NullIfEmpty(environment("FLANNELD_ETCD_PREFIX")) ?? DefaultEtcdPrefix;
        int? count = null;
        string? write = null;
        StatsFormat? format = null;
        bool help = false;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
            {
                if (command is not null)
                {
                    throw new UsageException($"unexpected argument '{arg}' after command '{command}'");
                }
                command = s_commands.Contains(arg) ? arg : throw new UsageException($"unknown command '{arg}'");
                continue;
            }
            string name = arg.TrimStart('-');
            string? inline = null;
            int equals = name.IndexOf('=', StringComparison.Ordinal);
            if (equals >= 0)
            {
                inline = name[(equals + 1)..];
                name = name[..equals];
            }
            if (name is "h" or "help")
            {
                help = true;
                continue;
            }
            string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"flag -{name} needs a value"));
            switch (name)
            {
                case "socket":
                    socket = value.Length > 0 ? value : throw new UsageException("-socket needs a path");
                    break;
                case "etcd-endpoints":
                    endpoints = NullIfEmpty(value);
                    break;
                case "etcd-prefix":
                    prefix = value.Length > 0 ? value : throw new UsageException("-etcd-prefix needs a prefix");
                    break;
                case "c":
                    count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
                        ? parsed
                        : throw new UsageException($"-c '{value}' is not a non-negative number");
                    break;
                case "w":
                    write = value.Length > 0 ? value : throw new UsageException("-w needs a file name or '-'");
                    break;
                case "o":
                    format = value switch
                    {
                        "table" => StatsFormat.Table,
                        "json" => StatsFormat.Json,
                        _ => throw new UsageException($"-o '{value}' is not a format: use -o table (the default) or -o json"),
                    };
                    break;
                default:
                    throw new UsageException($"unknown flag -{name}");
            }
        }
        if (help)
        {
            return new CtlArguments { Command = command ?? "", HelpRequested = true };
        }
        if (command is null)
        {
            throw new UsageException("no command given");
        }
        if (count is not null && command is not ("stats" or "capture"))
        {
            throw new UsageException($"-c applies to stats and capture, not {command}");
        }
        if (write is not null && command != "capture")
        {
            throw new UsageException($"-w applies to capture, not {command}");
        }
        if (format is not null && command != "stats")
        {
            throw new UsageException($"-o applies to stats, not {command}");
        }
        return new CtlArguments
        {
            Command = command,
            SocketPath = socket,
            EtcdEndpoints = endpoints,
            EtcdPrefix = prefix,
            Count = count ?? 0,
            WritePath = write ?? "-",
            Format = format ?? StatsFormat.Table,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
