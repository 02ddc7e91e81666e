using Microsoft.Extensions.Logging;
using Samsa.Broker.Config;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// Creates and deletes topics: the durable record in the metadata store first, then the partition logs.
/// Acts as the controller of a single broker. Thread-safe; topic changes are serialized.
/// </summary>
internal sealed partial class TopicManager
{
    private readonly BrokerConfig _config;
    private readonly IMetadataStore _store;
    private readonly ReplicaManager _replicaManager;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();

    public TopicManager(BrokerConfig config, IMetadataStore store, ReplicaManager replicaManager, ILogger logger)
    {
        _config = config;
        _store = store;
        _replicaManager = replicaManager;
        _logger = logger;
    }

    public IReadOnlyCollection<TopicRecord> Topics => _store.Topics;

    public bool TryGetTopic(string name, out TopicRecord topic) => _store.TryGetTopic(name, out topic);

    /// <summary>Opens the logs of every known topic, and adopts partition directories the store does not know.</summary>
    public void LoadTopics(IEnumerable<TopicPartition> logsOnDisk)
    {
        var orphans = logsOnDisk
            .Where(tp => !_store.TryGetTopic(tp.Topic, out var t) || tp.Partition >= t.PartitionCount)
            .GroupBy(tp => tp.Topic);
        foreach (var group in orphans)
        {
            if (_store.TryGetTopic(group.Key, out _))
            {
                LogOrphanPartition(_logger, group.Key, string.Join(",", group.Select(g => g.Partition)));
                continue;
            }
            int count = group.Max(tp => tp.Partition) + 1;
            _store.TryCreateTopic(NewTopicRecord(group.Key, count, new Dictionary<string, string>()));
            LogAdopted(_logger, group.Key, count);
        }
        foreach (var topic in _store.Topics)
        {
            OpenPartitions(topic);
        }
    }

    /// <summary>Validates a creation request; returns None and the record to create, or the error Kafka gives.</summary>
    public (ErrorCode Error, string? Message) ValidateNewTopic(string name, int numPartitions, short replicationFactor,
        IReadOnlyDictionary<string, string?> configs)
    {
        if (!TopicNames.IsValid(name, out string reason))
        {
            return (ErrorCode.InvalidTopicException, reason);
        }
        if (_store.TryGetTopic(name, out _))
        {
            return (ErrorCode.TopicAlreadyExists, $"Topic '{name}' already exists.");
        }
        if (numPartitions <= 0)
        {
            return (ErrorCode.InvalidPartitions, "Number of partitions must be larger than 0.");
        }
        if (replicationFactor <= 0)
        {
            return (ErrorCode.InvalidReplicationFactor, "Replication factor must be larger than 0.");
        }
        if (replicationFactor > 1)
        {
            return (ErrorCode.InvalidReplicationFactor, $"Replication factor: {replicationFactor} larger than available brokers: 1.");
        }
        foreach (var (key, value) in configs)
        {
            if (!TopicConfig.TryValidate(key, value, out string error))
            {
                return (ErrorCode.InvalidConfig, error);
            }
        }
        return (ErrorCode.None, null);
    }

    /// <summary>Creates a topic that passed <see cref="ValidateNewTopic"/>; false if it appeared meanwhile.</summary>
    public bool CreateTopic(string name, int numPartitions, IReadOnlyDictionary<string, string> configs, out TopicRecord record)
    {
        lock (_lock)
        {
            record = NewTopicRecord(name, numPartitions, configs);
            if (_store.TryGetTopic(name, out _))
            {
                return false;
            }
            // Partitions first: once the store has the topic, others (a coordinator's first write, a client that saw
            // it in Metadata) may use its partitions at once.
            OpenPartitions(record);
            if (!_store.TryCreateTopic(record))
            {
                return false;
            }
        }
        LogCreated(_logger, name, numPartitions);
        return true;
    }

    /// <summary>Creates a topic with the broker defaults if auto-creation allows it.</summary>
    public ErrorCode AutoCreateTopic(string name)
    {
        if (!TopicNames.IsValid(name, out _))
        {
            return ErrorCode.InvalidTopicException;
        }
        if (_store.TryGetTopic(name, out _))
        {
            return ErrorCode.None;
        }
        CreateTopic(name, _config.NumPartitions, new Dictionary<string, string>(), out _);
        return ErrorCode.None;
    }

    public bool DeleteTopic(string name)
    {
        TopicRecord topic;
        lock (_lock)
        {
            if (!_store.TryGetTopic(name, out topic) || !_store.DeleteTopic(name))
            {
                return false;
            }
        }
        for (int p = 0; p < topic.PartitionCount; p++)
        {
            _replicaManager.DeletePartition(new TopicPartition(name, p));
        }
        LogDeleted(_logger, name);
        return true;
    }

    private TopicRecord NewTopicRecord(string name, int numPartitions, IReadOnlyDictionary<string, string> configs)
    {
        var assignment = new List<IReadOnlyList<int>>(numPartitions);
        for (int p = 0; p < numPartitions; p++)
        {
            assignment.Add(new[] { _config.BrokerId });
        }
        return new TopicRecord { Name = name, TopicId = Uuid.NewRandom(), Assignment = assignment, Configs = configs };
    }

    /// <summary>The storage settings of a topic: its overrides over the broker's log.* defaults.</summary>
    public static LogConfig LogConfigFor(BrokerConfig config, IReadOnlyDictionary<string, string> overrides) =>
        LogConfigFor(TopicConfig.Resolve(config, overrides));

    private static LogConfig LogConfigFor(EffectiveTopicConfig settings) =>
        new()
        {
            SegmentBytes = settings.SegmentBytes,
            SegmentMs = settings.SegmentMs,
            SegmentJitterMs = settings.SegmentJitterMs,
            IndexIntervalBytes = settings.IndexIntervalBytes,
            MaxIndexSize = settings.SegmentIndexBytes,
            FlushIntervalMessages = settings.FlushMessages,
            FlushIntervalMs = settings.FlushMs,
            RetentionMs = settings.RetentionMs,
            RetentionBytes = settings.RetentionBytes,
            FileDeleteDelayMs = settings.FileDeleteDelayMs,
            Delete = settings.CleanupPolicy.HasFlag(CleanupPolicy.Delete),
            Compact = settings.CleanupPolicy.HasFlag(CleanupPolicy.Compact),
            DeleteRetentionMs = settings.DeleteRetentionMs,
            MinCleanableDirtyRatio = settings.MinCleanableDirtyRatio,
            MinCompactionLagMs = settings.MinCompactionLagMs,
            MaxCompactionLagMs = settings.MaxCompactionLagMs,
        };

    private void OpenPartitions(TopicRecord topic)
    {
        var settings = TopicConfig.Resolve(_config, topic.Configs);
        var logConfig = LogConfigFor(settings);
        for (int p = 0; p < topic.PartitionCount; p++)
        {
            _replicaManager.CreatePartition(new TopicPartition(topic.Name, p), logConfig, settings);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created topic {Topic} with {Partitions} partitions")]
    private static partial void LogCreated(ILogger logger, string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted topic {Topic}")]
    private static partial void LogDeleted(ILogger logger, string topic);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Found partition directories for topic {Topic} that the metadata does not know; registered it with {Partitions} partitions")]
    private static partial void LogAdopted(ILogger logger, string topic, int partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring partition directories {Partitions} of topic {Topic}: beyond its partition count")]
    private static partial void LogOrphanPartition(ILogger logger, string topic, string partitions);
}
