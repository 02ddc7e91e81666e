using System.Globalization;

namespace Samsa.Broker.Config;

/// <summary>A constraint on a parsed configuration value beyond its type. Immutable.</summary>
internal abstract class ConfigValidator
{
    public static ConfigValidator AtLeast(long min) => new IntegerRange(min, null);

    public static ConfigValidator Between(long min, long max) => new IntegerRange(min, max);

    public static ConfigValidator Between(double min, double max) => new DoubleRange(min, max);

    public static ConfigValidator AtLeast(double min) => new DoubleRange(min, null);

    public static ConfigValidator OneOf(params string[] values) => new ValidValues(values);

    public static ConfigValidator Custom(string expected, Func<string, bool> isValid) => new CustomCheck(expected, isValid);
}

/// <summary>An inclusive range for Short, Int and Long keys; a missing bound is the type's own.</summary>
internal sealed class IntegerRange(long? min, long? max) : ConfigValidator
{
    public long? Min { get; } = min;

    public long? Max { get; } = max;
}

/// <summary>An inclusive range for Double keys.</summary>
internal sealed class DoubleRange(double? min, double? max) : ConfigValidator
{
    public double? Min { get; } = min;

    public double? Max { get; } = max;
}

/// <summary>
/// The values a String key (or each element of a List key) may take. Matching ignores case;
/// the parsed value is the spelling given here, so <c>Compact</c> reads as <c>compact</c>.
/// </summary>
internal sealed class ValidValues(string[] values) : ConfigValidator
{
    public IReadOnlyList<string> Values { get; } = values;

    public string Describe() => string.Join(", ", Values);

    public bool TryNormalize(string value, out string canonical)
    {
        foreach (var candidate in Values)
        {
            if (string.Equals(candidate, value, StringComparison.OrdinalIgnoreCase))
            {
                canonical = candidate;
                return true;
            }
        }

        canonical = value;
        return false;
    }
}

/// <summary>A free-form check of a String key's whole value.</summary>
internal sealed class CustomCheck(string expected, Func<string, bool> isValid) : ConfigValidator
{
    public string Expected { get; } = expected;

    public bool IsValid(string value) => isValid(value);
}

/// <summary>Formatting of numbers in validator descriptions.</summary>
internal static class ConfigNumber
{
    public static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
