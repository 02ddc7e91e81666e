using System.Globalization;
using Samsa.Broker.Config;
using Samsa.Broker.Network;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// DescribeConfigs v1-4 for topics (every topic key with its effective value and where it comes from) and for this
/// broker (the broker-level values topics default from, plus identity and topic-creation settings; all read-only).
/// A value equal to Kafka's own default is DEFAULT_CONFIG; one the operator set differently is STATIC_BROKER_CONFIG.
/// Stateless; thread-safe.
/// </summary>
internal sealed class DescribeConfigsHandler(BrokerContext broker) : IRequestHandler
{
    public const sbyte TopicResource = 2;
    public const sbyte BrokerResource = 4;

    // DescribeConfigsResponse config sources.
    private const sbyte DynamicTopicConfig = 1;
    private const sbyte StaticBrokerConfig = 4;
    private const sbyte DefaultConfig = 5;

    public ValueTask<IProtocolMessage?> HandleAsync(RequestContext context, IProtocolMessage message, CancellationToken cancellationToken)
    {
        var request = (DescribeConfigsRequest)message;
        var response = new DescribeConfigsResponse();
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
            };
            response.Results.Add(result);
            // Null or empty asks for every key, as in Kafka.
            var wanted = resource.ConfigurationKeys is null || resource.ConfigurationKeys.Count == 0 ? null : new HashSet<string>(resource.ConfigurationKeys, StringComparer.Ordinal);
            switch (resource.ResourceType)
            {
                case TopicResource:
                    DescribeTopic(result, wanted, request.IncludeSynonyms);
                    break;
                case BrokerResource:
                    DescribeBroker(result, wanted, request.IncludeSynonyms);
                    break;
                default:
                    result.ErrorCode = (short)ErrorCode.InvalidRequest;
                    result.ErrorMessage = $"Resource type {resource.ResourceType} is not supported; describe topics (2) or brokers (4).";
                    break;
            }
        }
        return ValueTask.FromResult<IProtocolMessage?>(response);
    }

    private void DescribeTopic(DescribeConfigsResponse.DescribeConfigsResult result, HashSet<string>? wanted, bool includeSynonyms)
    {
        string name = result.ResourceName;
        if (name.Length == 0)
        {
            result.ErrorCode = (short)ErrorCode.InvalidRequest;
            result.ErrorMessage = "Topic name must not be empty.";
            return;
        }
        if (!broker.Topics.TryGetTopic(name, out var topic))
        {
            result.ErrorCode = (short)ErrorCode.UnknownTopicOrPartition;
            result.ErrorMessage = $"Topic '{name}' does not exist.";
            return;
        }
        foreach (var entry in TopicConfig.Describe(broker.Config, topic.Configs))
        {
            if (wanted is not null && !wanted.Contains(entry.Name))
            {
                continue;
            }
            var topicKey = TopicConfigKey.All[entry.Name];
            string? brokerValue = ConfigFormat.Format(topicKey.BrokerDefault(broker.Config));
            sbyte brokerSource = IsKafkaDefault(topicKey.Key, brokerValue) ? DefaultConfig : StaticBrokerConfig;
            var config = new DescribeConfigsResponse.DescribeConfigsResourceResult
            {
                Name = entry.Name,
                Value = entry.Value,
                ReadOnly = false,
                IsSensitive = false,
                ConfigSource = entry.IsDefault ? brokerSource : DynamicTopicConfig,
                ConfigType = (sbyte)entry.Type,
                Documentation = null,
            };
            if (includeSynonyms)
            {
                if (!entry.IsDefault)
                {
                    config.Synonyms.Add(Synonym(entry.Name, entry.Value, DynamicTopicConfig));
                }
                if (entry.BrokerSynonym is not null)
                {
                    config.Synonyms.Add(Synonym(entry.BrokerSynonym, brokerValue, brokerSource));
                }
            }
            result.Configs.Add(config);
        }
    }

    private void DescribeBroker(DescribeConfigsResponse.DescribeConfigsResult result, HashSet<string>? wanted, bool includeSynonyms)
    {
        string id = broker.BrokerId.ToString(CultureInfo.InvariantCulture);
        if (result.ResourceName.Length > 0 && result.ResourceName != id)
        {
            result.ErrorCode = (short)ErrorCode.InvalidRequest;
            result.ErrorMessage = $"Unexpected broker id, expected {id} or empty string, but received {result.ResourceName}.";
            return;
        }
        foreach (var (name, (value, key)) in BrokerValues())
        {
            if (wanted is not null && !wanted.Contains(name))
            {
                continue;
            }
            sbyte source = key is null || IsKafkaDefault(key, value) ? DefaultConfig : StaticBrokerConfig;
            var config = new DescribeConfigsResponse.DescribeConfigsResourceResult
            {
                Name = name,
                Value = value,
                ReadOnly = true,
                IsSensitive = false,
                ConfigSource = source,
                ConfigType = (sbyte)(key?.Type ?? ConfigType.Unknown),
                Documentation = null,
            };
            if (includeSynonyms)
            {
                config.Synonyms.Add(Synonym(name, value, source));
            }
            result.Configs.Add(config);
        }
    }

    /// <summary>
    /// The broker settings this broker reports (identity, topic creation, and every topic key's broker default), each
    /// with the key that holds Kafka's default for it: the topic key for topic defaults, since broker keys such as
    /// log.retention.ms have none of their own (they derive from log.retention.hours).
    /// </summary>
    private SortedDictionary<string, (string? Value, ConfigKey? Key)> BrokerValues()
    {
        var config = broker.Config;
        var values = new SortedDictionary<string, (string? Value, ConfigKey? Key)>(StringComparer.Ordinal);
        void Add(string name, object? value) => values[name] = (ConfigFormat.Format(value), BrokerConfigKeys.All.GetValueOrDefault(name));

        Add("broker.id", config.BrokerId);
        Add("broker.rack", config.BrokerRack);
        Add("auto.create.topics.enable", config.AutoCreateTopicsEnable);
        Add("delete.topic.enable", config.DeleteTopicEnable);
        Add("num.partitions", config.NumPartitions);
        Add("default.replication.factor", config.DefaultReplicationFactor);
        Add("log.dirs", string.Join(",", config.LogDirs));
        Add("log.retention.check.interval.ms", config.LogRetentionCheckIntervalMs);
        foreach (var topicKey in TopicConfigKey.All.Values)
        {
            if (topicKey.BrokerSynonym is not null)
            {
                values[topicKey.BrokerSynonym] = (ConfigFormat.Format(topicKey.BrokerDefault(config)), topicKey.Key);
            }
        }
        return values;
    }

    /// <summary>True when <paramref name="value"/> is Kafka's default for <paramref name="key"/> (compared parsed, so "1" and " 1" agree).</summary>
    private static bool IsKafkaDefault(ConfigKey key, string? value)
    {
        if (!key.TryParse(key.DefaultValue, out var defaultValue, out _))
        {
            return false;
        }
        return string.Equals(ConfigFormat.Format(defaultValue), value, StringComparison.Ordinal);
    }

    private static DescribeConfigsResponse.DescribeConfigsSynonym Synonym(string name, string? value, sbyte source) =>
        new() { Name = name, Value = value, Source = source };
}
