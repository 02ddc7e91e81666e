namespace Samsa.Client.Admin;

/// <summary>
/// One config of a topic or broker as DescribeConfigs reports it: the effective value (null when unset or sensitive),
/// where it comes from, and whether it can be altered. <see cref="IsDefault"/> is true only for Kafka's own default
/// (<see cref="ConfigSource.DefaultConfig"/>), as in Kafka's admin clients. Immutable.
/// </summary>
public sealed record ConfigEntryResult(string Name, string? Value, ConfigSource Source, bool IsReadOnly, bool IsSensitive)
{
    public bool IsDefault => Source == ConfigSource.DefaultConfig;
}
