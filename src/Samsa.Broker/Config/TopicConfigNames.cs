namespace Samsa.Broker.Config;

/// <summary>The names of the topic-level configuration keys Samsa knows (Kafka's spelling).</summary>
public static class TopicConfigNames
{
    public const string CleanupPolicy = "cleanup.policy";
    public const string CompressionType = "compression.type";
    public const string DeleteRetentionMs = "delete.retention.ms";
    public const string FileDeleteDelayMs = "file.delete.delay.ms";
    public const string FlushMessages = "flush.messages";
    public const string FlushMs = "flush.ms";
    public const string FollowerReplicationThrottledReplicas = "follower.replication.throttled.replicas";
    public const string IndexIntervalBytes = "index.interval.bytes";
    public const string LeaderReplicationThrottledReplicas = "leader.replication.throttled.replicas";
    public const string MaxCompactionLagMs = "max.compaction.lag.ms";
    public const string MaxMessageBytes = "max.message.bytes";
    public const string MessageDownconversionEnable = "message.downconversion.enable";
    public const string MessageFormatVersion = "message.format.version";
    public const string MessageTimestampAfterMaxMs = "message.timestamp.after.max.ms";
    public const string MessageTimestampBeforeMaxMs = "message.timestamp.before.max.ms";
    public const string MessageTimestampDifferenceMaxMs = "message.timestamp.difference.max.ms";
    public const string MessageTimestampType = "message.timestamp.type";
    public const string MinCleanableDirtyRatio = "min.cleanable.dirty.ratio";
    public const string MinCompactionLagMs = "min.compaction.lag.ms";
    public const string MinInsyncReplicas = "min.insync.replicas";
    public const string Preallocate = "preallocate";
    public const string RetentionBytes = "retention.bytes";
    public const string RetentionMs = "retention.ms";
    public const string SegmentBytes = "segment.bytes";
    public const string SegmentIndexBytes = "segment.index.bytes";
    public const string SegmentJitterMs = "segment.jitter.ms";
    public const string SegmentMs = "segment.ms";
    public const string UncleanLeaderElectionEnable = "unclean.leader.election.enable";
}
