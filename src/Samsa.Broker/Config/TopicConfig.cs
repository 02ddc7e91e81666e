namespace Samsa.Broker.Config;

/// <summary>
/// Topic-level configuration: the overrides a topic is created or altered with
/// (<c>--config k=v</c>, CreateTopics, AlterConfigs) over the broker's defaults. Each topic key
/// defaults from a broker key (<c>segment.bytes</c> from <c>log.segment.bytes</c>,
/// <c>retention.ms</c> from <c>log.retention.ms</c>, ...). Stateless and thread-safe.
/// </summary>
public static class TopicConfig
{
    /// <summary>Every topic key Samsa knows, in name order.</summary>
    public static IReadOnlyList<string> Names { get; } = TopicConfigKey.All.Keys.ToArray();

    /// <summary>True when <paramref name="key"/> is a topic configuration key.</summary>
    public static bool IsKnown(string key) => TopicConfigKey.All.ContainsKey(key);

    /// <summary>
    /// Checks one topic override. On failure <paramref name="error"/> names the key and, for a bad
    /// value, the value and what is expected; the broker returns it with INVALID_CONFIG.
    /// </summary>
    public static bool TryValidate(string key, string? value, out string error)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!TopicConfigKey.All.TryGetValue(key, out var topicKey))
        {
            error = $"Unknown topic configuration '{key}'.";
            return false;
        }

        if (!topicKey.Key.TryParse(value, out _, out var reason))
        {
            error = ConfigException.FormatInvalidValue(key, value?.Trim(), reason);
            return false;
        }

        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The topic's effective settings: each override parsed, every other key from the broker.
    /// Unknown keys are ignored (stored configs may come from a newer version).
    /// </summary>
    /// <exception cref="ConfigException">An override has an invalid value, or min.compaction.lag.ms exceeds max.compaction.lag.ms.</exception>
    public static EffectiveTopicConfig Resolve(BrokerConfig broker, IReadOnlyDictionary<string, string> overrides)
    {
        var values = ParseAll(broker, overrides);
        var minLag = values.Long(TopicConfigNames.MinCompactionLagMs);
        var maxLag = values.Long(TopicConfigNames.MaxCompactionLagMs);
        if (minLag > maxLag)
        {
            throw ConfigException.InvalidValue(
                TopicConfigNames.MinCompactionLagMs,
                ConfigFormat.Format(minLag),
                $"expected a value no greater than max.compaction.lag.ms ({ConfigFormat.Format(maxLag)})");
        }

        return new EffectiveTopicConfig
        {
            CleanupPolicy = ConfigFormat.ParseCleanupPolicy(values.List(TopicConfigNames.CleanupPolicy)),
            CompressionType = ConfigFormat.ParseCompressionType(values.String(TopicConfigNames.CompressionType)),
            DeleteRetentionMs = values.Long(TopicConfigNames.DeleteRetentionMs),
            FileDeleteDelayMs = values.Long(TopicConfigNames.FileDeleteDelayMs),
            FlushMessages = values.Long(TopicConfigNames.FlushMessages),
            FlushMs = values.Long(TopicConfigNames.FlushMs),
            FollowerReplicationThrottledReplicas = string.Join(",", values.List(TopicConfigNames.FollowerReplicationThrottledReplicas)),
            IndexIntervalBytes = values.Int(TopicConfigNames.IndexIntervalBytes),
            LeaderReplicationThrottledReplicas = string.Join(",", values.List(TopicConfigNames.LeaderReplicationThrottledReplicas)),
            MaxCompactionLagMs = maxLag,
            MaxMessageBytes = values.Int(TopicConfigNames.MaxMessageBytes),
            MessageDownconversionEnable = values.Bool(TopicConfigNames.MessageDownconversionEnable),
            MessageFormatVersion = values.String(TopicConfigNames.MessageFormatVersion),
            MessageTimestampAfterMaxMs = values.Long(TopicConfigNames.MessageTimestampAfterMaxMs),
            MessageTimestampBeforeMaxMs = values.Long(TopicConfigNames.MessageTimestampBeforeMaxMs),
            MessageTimestampDifferenceMaxMs = values.Long(TopicConfigNames.MessageTimestampDifferenceMaxMs),
            MessageTimestampType = ConfigFormat.ParseTimestampType(values.String(TopicConfigNames.MessageTimestampType)),
            MinCleanableDirtyRatio = values.Double(TopicConfigNames.MinCleanableDirtyRatio),
            MinCompactionLagMs = minLag,
            MinInsyncReplicas = values.Int(TopicConfigNames.MinInsyncReplicas),
            Preallocate = values.Bool(TopicConfigNames.Preallocate),
            RetentionBytes = values.Long(TopicConfigNames.RetentionBytes),
            RetentionMs = values.Long(TopicConfigNames.RetentionMs),
            SegmentBytes = values.Int(TopicConfigNames.SegmentBytes),
            SegmentIndexBytes = values.Int(TopicConfigNames.SegmentIndexBytes),
            SegmentJitterMs = values.Long(TopicConfigNames.SegmentJitterMs),
            SegmentMs = values.Long(TopicConfigNames.SegmentMs),
            UncleanLeaderElectionEnable = values.Bool(TopicConfigNames.UncleanLeaderElectionEnable),
        };
    }

    /// <summary>
    /// Every topic key with its effective value in Kafka's spelling and whether it is the broker
    /// default or the topic's override, in name order (for DescribeConfigs). Unknown keys are ignored.
    /// </summary>
    /// <exception cref="ConfigException">An override has an invalid value.</exception>
    public static IReadOnlyList<TopicConfigEntry> Describe(BrokerConfig broker, IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(overrides);
        var entries = new List<TopicConfigEntry>(TopicConfigKey.All.Count);
        foreach (var (name, topicKey) in TopicConfigKey.All)
        {
            var isOverride = overrides.TryGetValue(name, out var text);
            var value = isOverride
                ? ConfigFormat.Format(topicKey.Key.Parse(text))
                : ConfigFormat.Format(topicKey.BrokerDefault(broker));
            entries.Add(new TopicConfigEntry(name, value ?? string.Empty, !isOverride, topicKey.Key.Type, topicKey.BrokerSynonym));
        }

        return entries;
    }

    private static ConfigValues ParseAll(BrokerConfig broker, IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(broker);
        ArgumentNullException.ThrowIfNull(overrides);
        var values = new ConfigValues();
        foreach (var (name, topicKey) in TopicConfigKey.All)
        {
            var text = overrides.TryGetValue(name, out var given)
                ? given
                : ConfigFormat.Format(topicKey.BrokerDefault(broker));
            values.Set(name, topicKey.Key.Parse(text));
        }

        return values;
    }
}
