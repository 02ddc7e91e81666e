using Samsa.Broker.Config;

namespace Samsa.Broker.Tests.Config;

public sealed class TopicConfigTests
{
    private static readonly Dictionary<string, string> None = new();

    [Fact]
    public void Default_broker_resolves_to_kafka_topic_defaults()
    {
        Assert.Equal(new EffectiveTopicConfig(), TopicConfig.Resolve(new BrokerConfig(), None));
    }

    [Fact]
    public void Topic_keys_default_from_their_broker_keys()
    {
        var broker = BrokerConfigLoader.Load(
            null,
            [
                "log.segment.bytes=1500",
                "log.retention.hours=1",
                "log.retention.bytes=5000",
                "message.max.bytes=2000",
                "log.cleanup.policy=compact",
                "compression.type=lz4",
                "log.index.interval.bytes=100",
                "log.index.size.max.bytes=4096",
                "log.flush.interval.messages=10",
                "log.flush.interval.ms=20",
                "log.message.timestamp.type=LogAppendTime",
                "min.insync.replicas=2",
                "log.roll.hours=2",
                "log.roll.jitter.ms=30",
                "log.cleaner.delete.retention.ms=40",
                "log.segment.delete.delay.ms=50",
                "log.cleaner.min.compaction.lag.ms=60",
                "log.cleaner.max.compaction.lag.ms=70",
                "log.cleaner.min.cleanable.ratio=0.25",
                "log.preallocate=true",
                "unclean.leader.election.enable=true",
                "log.message.downconversion.enable=false",
                "log.message.timestamp.difference.max.ms=80",
            ],
            new Dictionary<string, string>()).Config;

        var topic = TopicConfig.Resolve(broker, None);

        Assert.Equal(1500, topic.SegmentBytes);
        Assert.Equal(3_600_000L, topic.RetentionMs);
        Assert.Equal(5000L, topic.RetentionBytes);
        Assert.Equal(2000, topic.MaxMessageBytes);
        Assert.Equal(CleanupPolicy.Compact, topic.CleanupPolicy);
        Assert.Equal(BrokerCompressionType.Lz4, topic.CompressionType);
        Assert.Equal(100, topic.IndexIntervalBytes);
        Assert.Equal(4096, topic.SegmentIndexBytes);
        Assert.Equal(10L, topic.FlushMessages);
        Assert.Equal(20L, topic.FlushMs);
        Assert.Equal(MessageTimestampType.LogAppendTime, topic.MessageTimestampType);
        Assert.Equal(2, topic.MinInsyncReplicas);
        Assert.Equal(7_200_000L, topic.SegmentMs);
        Assert.Equal(30L, topic.SegmentJitterMs);
        Assert.Equal(40L, topic.DeleteRetentionMs);
        Assert.Equal(50L, topic.FileDeleteDelayMs);
        Assert.Equal(60L, topic.MinCompactionLagMs);
        Assert.Equal(70L, topic.MaxCompactionLagMs);
        Assert.Equal(0.25, topic.MinCleanableDirtyRatio);
        Assert.True(topic.Preallocate);
        Assert.True(topic.UncleanLeaderElectionEnable);
        Assert.False(topic.MessageDownconversionEnable);
        Assert.Equal(80L, topic.MessageTimestampDifferenceMaxMs);
    }

    [Fact]
    public void Overrides_win_over_broker_defaults()
    {
        var overrides = new Dictionary<string, string>
        {
            ["segment.bytes"] = "2048",
            ["retention.ms"] = "-1",
            ["cleanup.policy"] = "compact,delete",
            ["compression.type"] = "GZIP",
            ["max.message.bytes"] = " 64000 ",
            ["min.insync.replicas"] = "2",
            ["message.timestamp.type"] = "LogAppendTime",
            ["preallocate"] = "true",
            ["leader.replication.throttled.replicas"] = "0:1,1:2",
            ["follower.replication.throttled.replicas"] = "*",
        };

        var topic = TopicConfig.Resolve(new BrokerConfig { LogSegmentBytes = 999 }, overrides);

        Assert.Equal(2048, topic.SegmentBytes);
        Assert.Equal(-1L, topic.RetentionMs);
        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, topic.CleanupPolicy);
        Assert.Equal(BrokerCompressionType.Gzip, topic.CompressionType);
        Assert.Equal(64000, topic.MaxMessageBytes);
        Assert.Equal(2, topic.MinInsyncReplicas);
        Assert.Equal(MessageTimestampType.LogAppendTime, topic.MessageTimestampType);
        Assert.True(topic.Preallocate);
        Assert.Equal("0:1,1:2", topic.LeaderReplicationThrottledReplicas);
        Assert.Equal("*", topic.FollowerReplicationThrottledReplicas);
    }

    [Fact]
    public void Resolve_uses_a_broker_built_in_code()
    {
        var broker = new BrokerConfig { LogRetentionMs = 1234, LogCleanupPolicy = CleanupPolicy.Compact | CleanupPolicy.Delete };

        var topic = TopicConfig.Resolve(broker, None);

        Assert.Equal(1234L, topic.RetentionMs);
        Assert.Equal(CleanupPolicy.Compact | CleanupPolicy.Delete, topic.CleanupPolicy);
    }

    [Fact]
    public void Resolve_ignores_unknown_keys_and_rejects_bad_values()
    {
        var unknown = TopicConfig.Resolve(new BrokerConfig(), new Dictionary<string, string> { ["future.key"] = "x" });
        var e = Assert.Throws<ConfigException>(() =>
            TopicConfig.Resolve(new BrokerConfig(), new Dictionary<string, string> { ["segment.bytes"] = "tiny" }));

        Assert.Equal(new EffectiveTopicConfig(), unknown);
        Assert.Equal("segment.bytes", e.Key);
        Assert.Equal("Invalid value 'tiny' for configuration 'segment.bytes': expected an integer >= 1024", e.Message);
    }

    [Fact]
    public void Min_compaction_lag_above_max_is_rejected()
    {
        var overrides = new Dictionary<string, string> { ["min.compaction.lag.ms"] = "100", ["max.compaction.lag.ms"] = "50" };

        var e = Assert.Throws<ConfigException>(() => TopicConfig.Resolve(new BrokerConfig(), overrides));

        Assert.Equal("min.compaction.lag.ms", e.Key);
        Assert.Contains("max.compaction.lag.ms", e.Message);
    }

    [Theory]
    [InlineData("cleanup.policy", "delete")]
    [InlineData("cleanup.policy", "compact")]
    [InlineData("cleanup.policy", "delete,compact")]
    [InlineData("compression.type", "producer")]
    [InlineData("compression.type", "uncompressed")]
    [InlineData("compression.type", "zstd")]
    [InlineData("delete.retention.ms", "0")]
    [InlineData("file.delete.delay.ms", "60000")]
    [InlineData("flush.messages", "1")]
    [InlineData("flush.ms", "0")]
    [InlineData("index.interval.bytes", "0")]
    [InlineData("max.compaction.lag.ms", "1")]
    [InlineData("max.message.bytes", "0")]
    [InlineData("message.timestamp.type", "CreateTime")]
    [InlineData("message.timestamp.difference.max.ms", "0")]
    [InlineData("min.cleanable.dirty.ratio", "0")]
    [InlineData("min.cleanable.dirty.ratio", "1")]
    [InlineData("min.compaction.lag.ms", "0")]
    [InlineData("min.insync.replicas", "1")]
    [InlineData("preallocate", "true")]
    [InlineData("retention.bytes", "-1")]
    [InlineData("retention.bytes", "-100")]
    [InlineData("retention.ms", "-1")]
    [InlineData("segment.bytes", "1024")]
    [InlineData("segment.index.bytes", "4")]
    [InlineData("segment.jitter.ms", "0")]
    [InlineData("segment.ms", "1")]
    [InlineData("unclean.leader.election.enable", "false")]
    [InlineData("message.downconversion.enable", "true")]
    [InlineData("message.format.version", "2.8")]
    [InlineData("leader.replication.throttled.replicas", "")]
    [InlineData("leader.replication.throttled.replicas", "0:101, 1:102")]
    public void Valid_topic_values_pass(string key, string value)
    {
        Assert.True(TopicConfig.TryValidate(key, value, out var error), error);
        Assert.Equal(string.Empty, error);
    }

    [Theory]
    [InlineData("cleanup.policy", "remove", "a comma-separated list of: compact, delete")]
    [InlineData("cleanup.policy", "", "a comma-separated list of: compact, delete")]
    [InlineData("compression.type", "brotli", "one of: uncompressed, zstd, lz4, snappy, gzip, producer")]
    [InlineData("delete.retention.ms", "-1", "an integer >= 0")]
    [InlineData("file.delete.delay.ms", "x", "an integer >= 0")]
    [InlineData("flush.messages", "0", "an integer >= 1")]
    [InlineData("flush.ms", "-1", "an integer >= 0")]
    [InlineData("index.interval.bytes", "-1", "an integer >= 0")]
    [InlineData("max.compaction.lag.ms", "0", "an integer >= 1")]
    [InlineData("max.message.bytes", "3000000000", "an integer between 0 and 2147483647")]
    [InlineData("message.timestamp.type", "createtime2", "one of: CreateTime, LogAppendTime")]
    [InlineData("message.timestamp.difference.max.ms", "-1", "an integer >= 0")]
    [InlineData("min.cleanable.dirty.ratio", "1.01", "a number between 0 and 1")]
    [InlineData("min.cleanable.dirty.ratio", "NaN", "a number between 0 and 1")]
    [InlineData("min.compaction.lag.ms", "-1", "an integer >= 0")]
    [InlineData("min.insync.replicas", "0", "an integer >= 1")]
    [InlineData("preallocate", "maybe", "true or false")]
    [InlineData("retention.bytes", "lots", "a 64-bit integer")]
    [InlineData("retention.ms", "-2", "an integer >= -1")]
    [InlineData("segment.bytes", "1023", "an integer >= 1024")]
    [InlineData("segment.index.bytes", "3", "an integer >= 4")]
    [InlineData("segment.jitter.ms", "-1", "an integer >= 0")]
    [InlineData("segment.ms", "0", "an integer >= 1")]
    [InlineData("unclean.leader.election.enable", "no", "true or false")]
    [InlineData("message.downconversion.enable", "", "true or false")]
    [InlineData("leader.replication.throttled.replicas", "0-101", "'*' or a comma-separated list of partition:brokerId pairs, for example 0:101,1:102")]
    public void Invalid_topic_values_fail_naming_key_value_and_expectation(string key, string value, string expected)
    {
        Assert.False(TopicConfig.TryValidate(key, value, out var error));
        Assert.Equal($"Invalid value '{value}' for configuration '{key}': expected {expected}", error);
    }

    [Fact]
    public void Null_topic_value_fails()
    {
        Assert.False(TopicConfig.TryValidate("retention.ms", null, out var error));
        Assert.Contains("'retention.ms'", error);
    }

    [Theory]
    [InlineData("log.retention.ms")]
    [InlineData("retention.hours")]
    [InlineData("Segment.Bytes")]
    [InlineData("")]
    public void Unknown_topic_key_fails_naming_it(string key)
    {
        Assert.False(TopicConfig.TryValidate(key, "1", out var error));
        Assert.Equal($"Unknown topic configuration '{key}'.", error);
        Assert.False(TopicConfig.IsKnown(key));
    }

    [Fact]
    public void Every_topic_key_named_in_the_brief_is_known()
    {
        string[] expected =
        [
            "cleanup.policy", "compression.type", "delete.retention.ms", "file.delete.delay.ms", "flush.messages",
            "flush.ms", "index.interval.bytes", "max.compaction.lag.ms", "max.message.bytes", "message.timestamp.type",
            "message.timestamp.difference.max.ms", "min.cleanable.dirty.ratio", "min.compaction.lag.ms",
            "min.insync.replicas", "preallocate", "retention.bytes", "retention.ms", "segment.bytes",
            "segment.index.bytes", "segment.jitter.ms", "segment.ms", "unclean.leader.election.enable",
            "message.downconversion.enable",
        ];

        Assert.All(expected, key => Assert.True(TopicConfig.IsKnown(key), key));
        Assert.Equal(TopicConfig.Names.OrderBy(n => n, StringComparer.Ordinal), TopicConfig.Names);
    }

    [Fact]
    public void Describe_lists_every_key_with_effective_value_and_default_flag()
    {
        var broker = new BrokerConfig { LogSegmentBytes = 5000 };
        var overrides = new Dictionary<string, string> { ["retention.ms"] = " 1000 ", ["cleanup.policy"] = "Compact" };

        var entries = TopicConfig.Describe(broker, overrides).ToDictionary(e => e.Name);

        Assert.Equal(TopicConfig.Names.Count, entries.Count);
        Assert.Equal(new TopicConfigEntry("segment.bytes", "5000", true, ConfigType.Int, "log.segment.bytes"), entries["segment.bytes"]);
        Assert.Equal(new TopicConfigEntry("retention.ms", "1000", false, ConfigType.Long, "log.retention.ms"), entries["retention.ms"]);
        Assert.Equal(new TopicConfigEntry("cleanup.policy", "compact", false, ConfigType.List, "log.cleanup.policy"), entries["cleanup.policy"]);
        Assert.Equal("producer", entries["compression.type"].Value);
        Assert.Equal("CreateTime", entries["message.timestamp.type"].Value);
        Assert.Equal("0.5", entries["min.cleanable.dirty.ratio"].Value);
        Assert.Equal("9223372036854775807", entries["flush.messages"].Value);
        Assert.Equal("false", entries["preallocate"].Value);
        Assert.Equal("", entries["leader.replication.throttled.replicas"].Value);
        Assert.Null(entries["leader.replication.throttled.replicas"].BrokerSynonym);
        Assert.Equal("max.message.bytes", Assert.Single(entries.Values, e => e.BrokerSynonym == "message.max.bytes").Name);
    }

    [Fact]
    public void Describe_of_defaults_round_trips_through_validation()
    {
        foreach (var entry in TopicConfig.Describe(new BrokerConfig(), None))
        {
            Assert.True(TopicConfig.TryValidate(entry.Name, entry.Value, out var error), error);
        }
    }
}
