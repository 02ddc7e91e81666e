using System.Globalization;
using static Samsa.Broker.Config.ConfigValidator;

namespace Samsa.Broker.Config;

/// <summary>
/// One topic-level key: its definition (type, valid values, Kafka's static default), the broker
/// key it falls back to and how to read that fallback from a <see cref="BrokerConfig"/>.
/// </summary>
internal sealed record TopicConfigKey(ConfigKey Key, string? BrokerSynonym, Func<BrokerConfig, object?> BrokerDefault)
{
    /// <summary>Every topic key, in name order. Immutable and thread-safe.</summary>
    public static IReadOnlyDictionary<string, TopicConfigKey> All { get; } = Define();

    private static SortedDictionary<string, TopicConfigKey> Define()
    {
        var keys = new SortedDictionary<string, TopicConfigKey>(StringComparer.Ordinal);
        void Add(string name, ConfigType type, string defaultValue, ConfigValidator? validator, string? brokerSynonym, Func<BrokerConfig, object?> brokerDefault) =>
            keys.Add(name, new TopicConfigKey(new ConfigKey(name, type, defaultValue, validator), brokerSynonym, brokerDefault));

        var throttledReplicas = Custom(
            "'*' or a comma-separated list of partition:brokerId pairs, for example 0:101,1:102",
            IsThrottledReplicaList);

        Add(TopicConfigNames.CleanupPolicy, ConfigType.List, "delete", OneOf(ConfigFormat.CleanupPolicies), "log.cleanup.policy", b => b.LogCleanupPolicy);
        Add(TopicConfigNames.CompressionType, ConfigType.String, "producer", OneOf(ConfigFormat.CompressionTypes), "compression.type", b => b.CompressionType);
        Add(TopicConfigNames.DeleteRetentionMs, ConfigType.Long, "86400000", AtLeast(0), "log.cleaner.delete.retention.ms", b => b.LogCleanerDeleteRetentionMs);
        Add(TopicConfigNames.FileDeleteDelayMs, ConfigType.Long, "60000", AtLeast(0), "log.segment.delete.delay.ms", b => b.LogSegmentDeleteDelayMs);
        Add(TopicConfigNames.FlushMessages, ConfigType.Long, ConfigFormat.LongMax, AtLeast(1), "log.flush.interval.messages", b => b.LogFlushIntervalMessages);
        Add(TopicConfigNames.FlushMs, ConfigType.Long, ConfigFormat.LongMax, AtLeast(0), "log.flush.interval.ms", b => b.LogFlushIntervalMs);
        Add(TopicConfigNames.FollowerReplicationThrottledReplicas, ConfigType.List, "", throttledReplicas, null, _ => string.Empty);
        Add(TopicConfigNames.IndexIntervalBytes, ConfigType.Int, "4096", AtLeast(0), "log.index.interval.bytes", b => b.LogIndexIntervalBytes);
        Add(TopicConfigNames.LeaderReplicationThrottledReplicas, ConfigType.List, "", throttledReplicas, null, _ => string.Empty);
        Add(TopicConfigNames.MaxCompactionLagMs, ConfigType.Long, ConfigFormat.LongMax, AtLeast(1), "log.cleaner.max.compaction.lag.ms", b => b.LogCleanerMaxCompactionLagMs);
        Add(TopicConfigNames.MaxMessageBytes, ConfigType.Int, "1048588", AtLeast(0), "message.max.bytes", b => b.MessageMaxBytes);
        Add(TopicConfigNames.MessageDownconversionEnable, ConfigType.Boolean, "true", null, "log.message.downconversion.enable", b => b.LogMessageDownconversionEnable);
        Add(TopicConfigNames.MessageFormatVersion, ConfigType.String, "3.0-IV1", null, "log.message.format.version", b => b.LogMessageFormatVersion);
        Add(TopicConfigNames.MessageTimestampAfterMaxMs, ConfigType.Long, ConfigFormat.LongMax, AtLeast(0), "log.message.timestamp.after.max.ms", b => b.LogMessageTimestampAfterMaxMs);
        Add(TopicConfigNames.MessageTimestampBeforeMaxMs, ConfigType.Long, ConfigFormat.LongMax, AtLeast(0), "log.message.timestamp.before.max.ms", b => b.LogMessageTimestampBeforeMaxMs);
        Add(TopicConfigNames.MessageTimestampDifferenceMaxMs, ConfigType.Long, ConfigFormat.LongMax, AtLeast(0), "log.message.timestamp.difference.max.ms", b => b.LogMessageTimestampDifferenceMaxMs);
        Add(TopicConfigNames.MessageTimestampType, ConfigType.String, "CreateTime", OneOf(ConfigFormat.TimestampTypes), "log.message.timestamp.type", b => b.LogMessageTimestampType);
        Add(TopicConfigNames.MinCleanableDirtyRatio, ConfigType.Double, "0.5", Between(0.0, 1.0), "log.cleaner.min.cleanable.ratio", b => b.LogCleanerMinCleanableRatio);
        Add(TopicConfigNames.MinCompactionLagMs, ConfigType.Long, "0", AtLeast(0), "log.cleaner.min.compaction.lag.ms", b => b.LogCleanerMinCompactionLagMs);
        Add(TopicConfigNames.MinInsyncReplicas, ConfigType.Int, "1", AtLeast(1), "min.insync.replicas", b => b.MinInsyncReplicas);
        Add(TopicConfigNames.Preallocate, ConfigType.Boolean, "false", null, "log.preallocate", b => b.LogPreallocate);
        Add(TopicConfigNames.RetentionBytes, ConfigType.Long, "-1", null, "log.retention.bytes", b => b.LogRetentionBytes);
        Add(TopicConfigNames.RetentionMs, ConfigType.Long, "604800000", AtLeast(-1), "log.retention.ms", b => b.LogRetentionMs);
        Add(TopicConfigNames.SegmentBytes, ConfigType.Int, "1073741824", AtLeast(1024), "log.segment.bytes", b => b.LogSegmentBytes);
        Add(TopicConfigNames.SegmentIndexBytes, ConfigType.Int, "10485760", AtLeast(4), "log.index.size.max.bytes", b => b.LogIndexSizeMaxBytes);
        Add(TopicConfigNames.SegmentJitterMs, ConfigType.Long, "0", AtLeast(0), "log.roll.jitter.ms", b => b.LogRollJitterMs);
        Add(TopicConfigNames.SegmentMs, ConfigType.Long, "604800000", AtLeast(1), "log.roll.ms", b => b.LogRollMs);
        Add(TopicConfigNames.UncleanLeaderElectionEnable, ConfigType.Boolean, "false", null, "unclean.leader.election.enable", b => b.UncleanLeaderElectionEnable);
        return keys;
    }

    private static bool IsThrottledReplicaList(string value)
    {
        if (value == "*")
        {
            return true;
        }

        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0
                || !int.TryParse(item.AsSpan(0, colon).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                || !int.TryParse(item.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return false;
            }
        }

        return true;
    }
}
