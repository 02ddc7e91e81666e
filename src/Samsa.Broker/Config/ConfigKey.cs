using System.Globalization;

namespace Samsa.Broker.Config;

/// <summary>
/// The definition of one configuration key: its Kafka name, type, default (as text, null when the
/// key has no default) and valid values, and the parser that turns text into a typed value.
/// Parsed values are boxed <see cref="bool"/>, <see cref="short"/>, <see cref="int"/>,
/// <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or a string array for lists.
/// Immutable and thread-safe.
/// </summary>
internal sealed class ConfigKey
{
    public ConfigKey(string name, ConfigType type, string? defaultValue, ConfigValidator? validator = null)
    {
        Name = name;
        Type = type;
        DefaultValue = defaultValue;
        Validator = validator;
    }

    public string Name { get; }

    public ConfigType Type { get; }

    /// <summary>The default as text; null means the key is unset unless given.</summary>
    public string? DefaultValue { get; }

    public ConfigValidator? Validator { get; }

    /// <summary>Parses a value (null or blank for a key without default means unset) or throws a <see cref="ConfigException"/> naming the key.</summary>
    public object? Parse(string? value)
    {
        if (!TryParse(value, out var parsed, out var reason))
        {
            throw ConfigException.InvalidValue(Name, value?.Trim(), reason);
        }

        return parsed;
    }

    /// <summary>Parses a value; on failure <paramref name="reason"/> says what is expected.</summary>
    public bool TryParse(string? value, out object? parsed, out string reason)
    {
        parsed = null;
        reason = string.Empty;
        if (value is null)
        {
            if (DefaultValue is null)
            {
                return true;
            }

            reason = "expected " + Expected(overflow: false);
            return false;
        }

        var text = value.Trim();
        if (text.Length == 0 && DefaultValue is null)
        {
            return true;
        }

        switch (Type)
        {
            case ConfigType.Boolean:
                if (string.Equals(text, "true", StringComparison.OrdinalIgnoreCase))
                {
                    parsed = true;
                    return true;
                }

                if (string.Equals(text, "false", StringComparison.OrdinalIgnoreCase))
                {
                    parsed = false;
                    return true;
                }

                break;

            case ConfigType.Short:
            case ConfigType.Int:
            case ConfigType.Long:
                return TryParseInteger(text, out parsed, out reason);

            case ConfigType.Double:
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    && double.IsFinite(number)
                    && (Validator is not DoubleRange range
                        || ((range.Min is null || number >= range.Min) && (range.Max is null || number <= range.Max))))
                {
                    parsed = number;
                    return true;
                }

                break;

            case ConfigType.List:
                return TryParseList(text, out parsed, out reason);

            default:
                if (Validator is ValidValues valid)
                {
                    if (valid.TryNormalize(text, out var canonical))
                    {
                        parsed = canonical;
                        return true;
                    }

                    break;
                }

                if (Validator is CustomCheck check && !check.IsValid(text))
                {
                    break;
                }

                parsed = text;
                return true;
        }

        reason = "expected " + Expected(overflow: false);
        return false;
    }

    /// <summary>What a valid value looks like, for error messages: "an integer &gt;= 1", "one of: delete, compact".</summary>
    public string Expected(bool overflow)
    {
        switch (Type)
        {
            case ConfigType.Boolean:
                return "true or false";

            case ConfigType.Short:
            case ConfigType.Int:
            case ConfigType.Long:
                var (typeMin, typeMax) = IntegerBounds();
                var range = Validator as IntegerRange;
                if (range is null)
                {
                    return Type switch
                    {
                        ConfigType.Short => "a 16-bit integer",
                        ConfigType.Int => "a 32-bit integer",
                        _ => "a 64-bit integer",
                    };
                }

                var min = range.Min ?? typeMin;
                if (range.Max is { } max)
                {
                    return $"an integer between {ConfigNumber.Format(min)} and {ConfigNumber.Format(max)}";
                }

                return overflow
                    ? $"an integer between {ConfigNumber.Format(min)} and {ConfigNumber.Format(typeMax)}"
                    : $"an integer >= {ConfigNumber.Format(min)}";

            case ConfigType.Double:
                if (Validator is DoubleRange doubles)
                {
                    if (doubles.Min is { } dmin && doubles.Max is { } dmax)
                    {
                        return $"a number between {ConfigNumber.Format(dmin)} and {ConfigNumber.Format(dmax)}";
                    }

                    if (doubles.Min is { } lower)
                    {
                        return $"a number >= {ConfigNumber.Format(lower)}";
                    }
                }

                return "a number";

            case ConfigType.List:
                return Validator is ValidValues listValues
                    ? $"a comma-separated list of: {listValues.Describe()}"
                    : "a comma-separated list";

            default:
                return Validator switch
                {
                    ValidValues values => $"one of: {values.Describe()}",
                    CustomCheck check => check.Expected,
                    _ => "a string",
                };
        }
    }

    private (long Min, long Max) IntegerBounds() => Type switch
    {
        ConfigType.Short => (short.MinValue, short.MaxValue),
        ConfigType.Int => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };

    private bool TryParseInteger(string text, out object? parsed, out string reason)
    {
        parsed = null;
        reason = string.Empty;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            // A number too big for a long is an overflow, anything else is not a number at all.
            var overflow = text.Length > 0 && text.TrimStart('-', '+').All(char.IsAsciiDigit);
            reason = "expected " + Expected(overflow);
            return false;
        }

        var (typeMin, typeMax) = IntegerBounds();
        if (value < typeMin || value > typeMax)
        {
            reason = "expected " + Expected(overflow: true);
            return false;
        }

        if (Validator is IntegerRange range
            && ((range.Min is { } min && value < min) || (range.Max is { } max && value > max)))
        {
            reason = "expected " + Expected(overflow: false);
            return false;
        }

        parsed = Type switch
        {
            ConfigType.Short => (short)value,
            ConfigType.Int => (int)value,
            _ => (object)value,
        };
        return true;
    }

    private bool TryParseList(string text, out object? parsed, out string reason)
    {
        parsed = null;
        reason = string.Empty;
        var items = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (Validator is ValidValues valid)
        {
            if (items.Length == 0)
            {
                reason = "expected " + Expected(overflow: false);
                return false;
            }

            for (var i = 0; i < items.Length; i++)
            {
                if (!valid.TryNormalize(items[i], out var canonical))
                {
                    reason = "expected " + Expected(overflow: false);
                    return false;
                }

                items[i] = canonical;
            }
        }
        else if (Validator is CustomCheck check && !check.IsValid(text))
        {
            reason = "expected " + check.Expected;
            return false;
        }

        parsed = items;
        return true;
    }
}
