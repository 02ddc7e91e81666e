namespace Samsa.Client.Admin;

/// <summary>Where a config's effective value comes from, as DescribeConfigs reports it (Kafka's numbering).</summary>
public enum ConfigSource
{
    /// <summary>The broker did not say (DescribeConfigs v0) or sent a source this client does not know.</summary>
    UnknownConfig = 0,

    /// <summary>The topic's own override.</summary>
    DynamicTopicConfig = 1,

    /// <summary>A dynamic setting of this broker.</summary>
    DynamicBrokerConfig = 2,

    /// <summary>A dynamic setting shared by every broker.</summary>
    DynamicDefaultBrokerConfig = 3,

    /// <summary>The broker's configuration file or startup overrides.</summary>
    StaticBrokerConfig = 4,

    /// <summary>Kafka's default; nobody set it.</summary>
    DefaultConfig = 5,

    /// <summary>A broker logger level.</summary>
    DynamicBrokerLoggerConfig = 6,
}
