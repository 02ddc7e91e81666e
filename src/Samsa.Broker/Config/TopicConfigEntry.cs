namespace Samsa.Broker.Config;

/// <summary>
/// One topic key as DescribeConfigs reports it: the effective value, whether it is the broker's
/// default (true) or the topic's own override (false), the value's type and the broker key the
/// default comes from (null for keys without one).
/// </summary>
public sealed record TopicConfigEntry(string Name, string Value, bool IsDefault, ConfigType Type, string? BrokerSynonym);
