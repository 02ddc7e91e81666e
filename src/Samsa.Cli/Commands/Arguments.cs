namespace Samsa.Cli.Commands;

/// <summary>
/// Kafka-tool style options: `--name value`, `--name=value`, repeated options and bare flags; a multi-valued option
/// (kafka-producer-perf-test's `--producer-props a=1 b=2`) takes every following word up to the next `--option`.
/// Unknown options are reported by the command that reads them.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _consumed = new(StringComparer.Ordinal);

    public Arguments(IEnumerable<string> args, IReadOnlySet<string> flags, IReadOnlySet<string>? multiValued = null)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            string arg = list[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                Positional.Add(arg);
                continue;
            }
            string name = arg;
            string? value = null;
            int eq = arg.IndexOf('=');
            if (eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else if (!flags.Contains(name))
            {
                if (i + 1 >= list.Count)
                {
                    throw new UsageException($"option {name} needs a value");
                }
                value = list[++i];
            }
            if (!_options.TryGetValue(name, out var values))
            {
                _options[name] = values = new List<string>();
            }
            values.Add(value ?? "true");
            if (multiValued is not null && multiValued.Contains(name))
            {
                while (i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    values.Add(list[++i]);
                }
            }
        }
    }

    public List<string> Positional { get; } = new();

    public bool Has(string name)
    {
        _consumed.Add(name);
        return _options.ContainsKey(name);
    }

    public string? Get(string name)
    {
        _consumed.Add(name);
        return _options.TryGetValue(name, out var values) ? values[^1] : null;
    }

    public IReadOnlyList<string> GetAll(string name)
    {
        _consumed.Add(name);
        return _options.TryGetValue(name, out var values) ? values : Array.Empty<string>();
    }

    public string Require(string name) => Get(name) ?? throw new UsageException($"missing required option {name}");

    public int? GetInt(string name)
    {
        string? value = Get(name);
        if (value is null)
        {
            return null;
        }
        return int.TryParse(value, out int result) ? result : throw new UsageException($"option {name} expects an integer, got '{value}'");
    }

    public long? GetLong(string name)
    {
        string? value = Get(name);
        if (value is null)
        {
            return null;
        }
        return long.TryParse(value, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long result)
            ? result
            : throw new UsageException($"option {name} expects an integer, got '{value}'");
    }

    public double? GetDouble(string name)
    {
        string? value = Get(name);
        if (value is null)
        {
            return null;
        }
        return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double result) && double.IsFinite(result)
            ? result
            : throw new UsageException($"option {name} expects a number, got '{value}'");
    }

    /// <summary>Throws for any option given that no one asked about.</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_consumed.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"unknown option {string.Join(", ", unknown)}");
        }
    }
}

/// <summary>A command-line mistake: printed with the command's usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
