namespace Samsa.Broker.Config;

/// <summary>
/// A configuration that cannot be used: a bad value, a malformed file or a missing file.
/// The message names the key, the offending value and what is expected, so it can be shown
/// to an operator as is (at start-up) or returned to a client with INVALID_CONFIG.
/// </summary>
public sealed class ConfigException : Exception
{
    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The configuration key at fault, when the problem is one key's value.</summary>
    public string? Key { get; init; }

    internal static ConfigException InvalidValue(string key, string? value, string reason) =>
        new(FormatInvalidValue(key, value, reason)) { Key = key };

    internal static string FormatInvalidValue(string key, string? value, string reason) =>
        value is null
            ? $"Invalid value null for configuration '{key}': {reason}"
            : $"Invalid value '{value}' for configuration '{key}': {reason}";
}
