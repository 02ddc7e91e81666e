namespace Samsa.Broker.Config;

/// <summary>
/// What <see cref="BrokerConfigLoader.Load"/> produced: the typed configuration, warnings for the
/// operator (unknown keys, ignored settings) and every known key's raw effective value with its
/// source, keyed and ordered by name (for DescribeConfigs).
/// </summary>
public sealed record BrokerConfigLoadResult(
    BrokerConfig Config,
    IReadOnlyList<string> Warnings,
    IReadOnlyDictionary<string, ConfigEntry> Entries);
