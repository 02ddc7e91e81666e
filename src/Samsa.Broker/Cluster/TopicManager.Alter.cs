using Microsoft.Extensions.Logging;
using Samsa.Broker.Config;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// Changes to existing topics (CreatePartitions, AlterConfigs, IncrementalAlterConfigs): the durable record in the
/// metadata store and the open partitions. Serialized with creation and deletion by the manager's lock.
/// </summary>
internal sealed partial class TopicManager
{
    /// <summary>
    /// Checks a topic's complete override set: every key and value (as CreateTopics does) and the keys that constrain
    /// each other (min.compaction.lag.ms against max.compaction.lag.ms). The message names the key.
    /// </summary>
    public (ErrorCode Error, string? Message) ValidateTopicConfigs(IReadOnlyDictionary<string, string> overrides)
    {
        foreach (var (key, value) in overrides)
        {
            if (!TopicConfig.TryValidate(key, value, out string error))
            {
                return (ErrorCode.InvalidConfig, error);
            }
        }
        try
        {
            TopicConfig.Resolve(_config, overrides);
        }
        catch (ConfigException e)
        {
            return (ErrorCode.InvalidConfig, e.Message);
        }
        return (ErrorCode.None, null);
    }

    /// <summary>
    /// Replaces a topic's overrides with what <paramref name="change"/> computes from the current ones (it returns
    /// null and a message for INVALID_CONFIG), validated as a whole. Unless <paramref name="validateOnly"/>, stores
    /// them and applies them to the open partitions: their typed settings (produce validation, max.message.bytes)
    /// and their logs' settings (see <see cref="PartitionLog.Config"/>).
    /// </summary>
    public (ErrorCode Error, string? Message) AlterTopicConfigs(string name,
        Func<IReadOnlyDictionary<string, string>, (Dictionary<string, string>? Next, string? Error)> change, bool validateOnly)
    {
        Dictionary<string, string>? next;
        lock (_lock)
        {
            if (!_store.TryGetTopic(name, out var topic))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            (next, string? changeError) = change(topic.Configs);
            if (next is null)
            {
                return (ErrorCode.InvalidConfig, changeError);
            }
            var (error, message) = ValidateTopicConfigs(next);
            if (error != ErrorCode.None || validateOnly)
            {
                return (error, message);
            }
            var updated = topic with { Configs = next };
            if (!_store.TryUpdateTopic(updated))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            ApplyConfigs(updated);
        }
        LogConfigsAltered(_logger, name, string.Join(",", next.Select(c => $"{c.Key}={c.Value}")));
        return (ErrorCode.None, null);
    }

    /// <summary>
    /// Grows a topic to <paramref name="count"/> partitions: INVALID_PARTITIONS unless that is more than it has. The
    /// new partition logs open before the store (and so Metadata) shows them.
    /// </summary>
    public (ErrorCode Error, string? Message) CreatePartitions(string name, int count, bool validateOnly)
    {
        int current;
        lock (_lock)
        {
            if (!_store.TryGetTopic(name, out var topic))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            current = topic.PartitionCount;
            if (count <= current)
            {
                return (ErrorCode.InvalidPartitions, $"Topic currently has {current} partitions, {count} would not be an increase.");
            }
            if (validateOnly)
            {
                return (ErrorCode.None, null);
            }
            var assignment = new List<IReadOnlyList<int>>(topic.Assignment);
            for (int p = current; p < count; p++)
            {
                assignment.Add(new[] { _config.BrokerId });
            }
            var grown = topic with { Assignment = assignment };
            var settings = TopicConfig.Resolve(_config, grown.Configs);
            var logConfig = LogConfigFor(settings);
            for (int p = current; p < count; p++)
            {
                _replicaManager.CreatePartition(new TopicPartition(name, p), logConfig, settings);
            }
            if (!_store.TryUpdateTopic(grown))
            {
                return (ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
        }
        LogPartitionsCreated(_logger, name, current, count);
        return (ErrorCode.None, null);
    }

    private void ApplyConfigs(TopicRecord topic)
    {
        var settings = TopicConfig.Resolve(_config, topic.Configs);
        var logConfig = LogConfigFor(settings);
        for (int p = 0; p < topic.PartitionCount; p++)
        {
            var partition = _replicaManager.GetPartition(new TopicPartition(topic.Name, p));
            if (partition is null)
            {
                continue;
            }
            partition.TopicConfig = settings;
            partition.Log.UpdateConfig(logConfig);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Altered configs of topic {Topic}; its overrides are now {Overrides}")]
    private static partial void LogConfigsAltered(ILogger logger, string topic, string overrides);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grew topic {Topic} from {Before} to {After} partitions")]
    private static partial void LogPartitionsCreated(ILogger logger, string topic, int before, int after);
}
