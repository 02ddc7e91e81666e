using Samsa.Broker.Config;
using Samsa.Protocol;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// A partition this broker hosts: its log, leader epoch and topic settings.
/// On a single broker it is always the leader and the high watermark follows the log end after each
/// append; replication will move the high watermark by the followers' fetch positions instead.
/// Thread-safe.
/// </summary>
internal sealed class Partition
{
    private EffectiveTopicConfig _topicConfig;

    public Partition(TopicPartition topicPartition, PartitionLog log, EffectiveTopicConfig topicConfig)
    {
        TopicPartition = topicPartition;
        Log = log;
        _topicConfig = topicConfig;
    }

    public TopicPartition TopicPartition { get; }

    public PartitionLog Log { get; }

    /// <summary>The leader epoch stamped on every batch appended as leader.</summary>
    public int LeaderEpoch { get; } = 0;

    /// <summary>The topic's effective settings (compression, timestamps, keys, sizes) that appends are checked against.</summary>
    public EffectiveTopicConfig TopicConfig
    {
        get => Volatile.Read(ref _topicConfig);
        set => Volatile.Write(ref _topicConfig, value);
    }

    /// <summary>The topic's max.message.bytes: the largest batch accepted.</summary>
    public int MaxMessageBytes => TopicConfig.MaxMessageBytes;
}
