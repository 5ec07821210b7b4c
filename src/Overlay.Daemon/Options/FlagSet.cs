using System.Text;

namespace Overlay.Daemon.Options;

/// <summary>
/// Parses arguments the way Go's <c>flag</c> package does for flanneld: <c>-name value</c>, <c>-name=value</c>,
/// <c>--name=value</c>, booleans as <c>-name</c> or <c>-name=false</c>, parsing stops at <c>--</c> or the first
/// non-flag argument. A flag not given on the command line may come from <c>FLANNELD_NAME</c>; empty values there
/// are ignored, as flanneld does.
/// </summary>
internal sealed class FlagSet
{
    private readonly Dictionary<string, FlagDefinition> _definitions = new(StringComparer.Ordinal);
    private readonly List<FlagDefinition> _ordered = [];

    public void Add(FlagDefinition definition)
    {
        _definitions.Add(definition.Name, definition);
        _ordered.Add(definition);
    }

    public IReadOnlyList<FlagDefinition> Definitions => _ordered;

    /// <summary>
    /// Parses <paramref name="args"/>; throws <see cref="UsageException"/> naming the bad flag, or
    /// <see cref="UnsupportedFlagException"/> for a flanneld flag overlayd does not implement.
    /// </summary>
    public ParsedFlags Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        int i = 0;
        for (; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }
            if (arg.Length < 2 || arg[0] != '-')
            {
                break;
            }
            string body = arg[1] == '-' ? arg[2..] : arg[1..];
            if (body.Length == 0 || body[0] == '-' || body[0] == '=')
            {
                throw new UsageException($"bad flag syntax: {arg}");
            }
            int eq = body.IndexOf('=');
            string name = eq < 0 ? body : body[..eq];
            if (name is "h" or "help")
            {
                throw new HelpRequestedException();
            }
            if (!_definitions.TryGetValue(name, out FlagDefinition? definition))
            {
                throw UnsupportedFlags.Explain(name) is { } why
                    ? new UnsupportedFlagException(why)
                    : new UsageException($"flag provided but not defined: -{name}");
            }
            string value;
            if (eq >= 0)
            {
                value = body[(eq + 1)..];
            }
            else if (definition.IsBoolean)
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"flag needs an argument: -{name}");
            }
            if (definition.IsBoolean && !TryParseBool(value, out _))
            {
                throw new UsageException($"invalid boolean value \"{value}\" for -{name}: use true or false");
            }
            if (!values.TryGetValue(name, out List<string>? list))
            {
                values[name] = list = [];
            }
            if (!definition.Repeatable)
            {
                list.Clear();
            }
            list.Add(value);
        }

        // An environment file carried over from flanneld may set a mode overlayd lacks; silence would hide that.
        foreach (string unsupported in UnsupportedFlags.Names)
        {
            string variable = FlagDefinition.EnvironmentNameOf(unsupported);
            if (!string.IsNullOrEmpty(environment(variable)))
            {
                throw new UnsupportedFlagException($"{variable} is set: " + UnsupportedFlags.Explain(unsupported));
            }
        }

        var fromEnvironment = new List<string>();
        foreach (FlagDefinition definition in _ordered)
        {
            if (values.ContainsKey(definition.Name))
            {
                continue;
            }
            string? env = environment(definition.EnvironmentName);
            if (string.IsNullOrEmpty(env))
            {
                continue;
            }
            if (definition.IsBoolean && !TryParseBool(env, out _))
            {
                throw new UsageException($"invalid boolean value \"{env}\" in {definition.EnvironmentName}: use true or false");
            }
            values[definition.Name] = [env];
            fromEnvironment.Add(definition.EnvironmentName);
        }
        return new ParsedFlags(values, args.Skip(i).ToArray(), fromEnvironment);
    }

    /// <summary>Go's strconv.ParseBool spellings.</summary>
    public static bool TryParseBool(string text, out bool value)
    {
        switch (text)
        {
            case "1" or "t" or "T" or "true" or "TRUE" or "True":
                value = true;
                return true;
            case "0" or "f" or "F" or "false" or "FALSE" or "False":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    public string Usage(string program)
    {
        var text = new StringBuilder();
        text.Append("Usage: ").Append(program).AppendLine(" [OPTION]...");
        foreach (FlagDefinition definition in _ordered)
        {
            text.Append("  -").Append(definition.Name);
            if (!definition.IsBoolean)
            {
                text.Append(" value");
            }
            text.AppendLine();
            text.Append("    \t").Append(definition.Usage);
            if (definition.DefaultText is { } defaultText)
            {
                text.Append(" (default ").Append(defaultText).Append(')');
            }
            text.AppendLine();
        }
        text.AppendLine();
        text.AppendLine("Every flag can also be set through FLANNELD_<NAME> (upper case, '-' becomes '_'), e.g. FLANNELD_ETCD_ENDPOINTS.");
        return text.ToString();
    }
}
