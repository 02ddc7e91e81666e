namespace Samsa.Broker.Config;

/// <summary>
/// One broker configuration key as loaded: its raw value (null when unset and without a default)
/// and where that value came from. Derived settings (for example <c>log.retention.ms</c> from
/// <c>log.retention.hours</c>) are resolved in <see cref="BrokerConfig"/>, not here.
/// </summary>
public sealed record ConfigEntry(string Name, string? Value, ConfigSource Source, ConfigType Type)
{
    /// <summary>True when nobody set the key and the value is the default.</summary>
    public bool IsDefault => Source == ConfigSource.Default;
}
