namespace Samsa.Broker.Config;

/// <summary>
/// A topic's effective typed settings: its overrides over the broker's defaults, from
/// <see cref="TopicConfig.Resolve"/>. <c>new EffectiveTopicConfig()</c> holds Kafka's defaults,
/// which are also what a default <see cref="BrokerConfig"/> resolves to. Immutable.
/// </summary>
public sealed record EffectiveTopicConfig
{
    /// <summary>cleanup.policy (default log.cleanup.policy, delete).</summary>
    public CleanupPolicy CleanupPolicy { get; init; } = CleanupPolicy.Delete;

    /// <summary>compression.type (default compression.type, producer).</summary>
    public BrokerCompressionType CompressionType { get; init; } = BrokerCompressionType.Producer;

    /// <summary>delete.retention.ms (default log.cleaner.delete.retention.ms, 86400000), how long tombstones survive compaction.</summary>
    public long DeleteRetentionMs { get; init; } = 86400000;

    /// <summary>file.delete.delay.ms (default log.segment.delete.delay.ms, 60000).</summary>
    public long FileDeleteDelayMs { get; init; } = 60000;

    /// <summary>flush.messages (default log.flush.interval.messages, 9223372036854775807).</summary>
    public long FlushMessages { get; init; } = long.MaxValue;

    /// <summary>flush.ms (default log.flush.interval.ms, 9223372036854775807).</summary>
    public long FlushMs { get; init; } = long.MaxValue;

    /// <summary>follower.replication.throttled.replicas (default empty).</summary>
    public string FollowerReplicationThrottledReplicas { get; init; } = string.Empty;

    /// <summary>index.interval.bytes (default log.index.interval.bytes, 4096).</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>leader.replication.throttled.replicas (default empty).</summary>
    public string LeaderReplicationThrottledReplicas { get; init; } = string.Empty;

    /// <summary>max.compaction.lag.ms (default log.cleaner.max.compaction.lag.ms, 9223372036854775807).</summary>
    public long MaxCompactionLagMs { get; init; } = long.MaxValue;

    /// <summary>max.message.bytes (default message.max.bytes, 1048588), the largest record batch accepted.</summary>
    public int MaxMessageBytes { get; init; } = 1048588;

    /// <summary>message.downconversion.enable (default log.message.downconversion.enable, true).</summary>
    public bool MessageDownconversionEnable { get; init; } = true;

    /// <summary>message.format.version (default log.message.format.version, 3.0-IV1); accepted, batches are always magic 2.</summary>
    public string MessageFormatVersion { get; init; } = "3.0-IV1";

    /// <summary>message.timestamp.after.max.ms (default log.message.timestamp.after.max.ms, 9223372036854775807).</summary>
    public long MessageTimestampAfterMaxMs { get; init; } = long.MaxValue;

    /// <summary>message.timestamp.before.max.ms (default log.message.timestamp.before.max.ms, 9223372036854775807).</summary>
    public long MessageTimestampBeforeMaxMs { get; init; } = long.MaxValue;

    /// <summary>message.timestamp.difference.max.ms (default log.message.timestamp.difference.max.ms, 9223372036854775807).</summary>
    public long MessageTimestampDifferenceMaxMs { get; init; } = long.MaxValue;

    /// <summary>message.timestamp.type (default log.message.timestamp.type, CreateTime).</summary>
    public MessageTimestampType MessageTimestampType { get; init; } = MessageTimestampType.CreateTime;

    /// <summary>min.cleanable.dirty.ratio (default log.cleaner.min.cleanable.ratio, 0.5).</summary>
    public double MinCleanableDirtyRatio { get; init; } = 0.5;

    /// <summary>min.compaction.lag.ms (default log.cleaner.min.compaction.lag.ms, 0).</summary>
    public long MinCompactionLagMs { get; init; }

    /// <summary>min.insync.replicas (default min.insync.replicas, 1).</summary>
    public int MinInsyncReplicas { get; init; } = 1;

    /// <summary>preallocate (default log.preallocate, false).</summary>
    public bool Preallocate { get; init; }

    /// <summary>retention.bytes (default log.retention.bytes, -1 = unlimited).</summary>
    public long RetentionBytes { get; init; } = -1;

    /// <summary>retention.ms (default log.retention.ms, 604800000; -1 = unlimited).</summary>
    public long RetentionMs { get; init; } = 604800000;

    /// <summary>segment.bytes (default log.segment.bytes, 1073741824).</summary>
    public int SegmentBytes { get; init; } = 1073741824;

    /// <summary>segment.index.bytes (default log.index.size.max.bytes, 10485760).</summary>
    public int SegmentIndexBytes { get; init; } = 10485760;

    /// <summary>segment.jitter.ms (default log.roll.jitter.ms, 0).</summary>
    public long SegmentJitterMs { get; init; }

    /// <summary>segment.ms (default log.roll.ms, 604800000).</summary>
    public long SegmentMs { get; init; } = 604800000;

    /// <summary>unclean.leader.election.enable (default unclean.leader.election.enable, false).</summary>
    public bool UncleanLeaderElectionEnable { get; init; }
}
