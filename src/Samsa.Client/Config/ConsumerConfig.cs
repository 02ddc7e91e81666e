namespace Samsa.Client.Config;

/// <summary>A consumer's settings; see <see cref="ClientConfig"/>.</summary>
public sealed class ConsumerConfig : ClientConfig
{
    public ConsumerConfig()
    {
    }

    public ConsumerConfig(IEnumerable<KeyValuePair<string, string>> properties)
        : base(properties)
    {
    }

    public string? GroupId { get => Get("group.id"); set => SetOrRemove("group.id", value); }

    public string? GroupInstanceId { get => Get("group.instance.id"); set => SetOrRemove("group.instance.id", value); }

    public int? SessionTimeoutMs { get => GetInt("session.timeout.ms"); set => SetOrRemove("session.timeout.ms", value); }

    public int? HeartbeatIntervalMs { get => GetInt("heartbeat.interval.ms"); set => SetOrRemove("heartbeat.interval.ms", value); }

    public int? MaxPollIntervalMs { get => GetInt("max.poll.interval.ms"); set => SetOrRemove("max.poll.interval.ms", value); }

    public AutoOffsetReset? AutoOffsetReset
    {
        get => Get("auto.offset.reset") is { } s ? ConfigProperties.Normalize(ConfigProperties.Find("auto.offset.reset")!, s) switch
        {
            "earliest" => Config.AutoOffsetReset.Earliest,
            "latest" => Config.AutoOffsetReset.Latest,
            _ => Config.AutoOffsetReset.Error,
        } : null;
        set => SetOrRemove("auto.offset.reset", value switch
        {
            null => null,
            Config.AutoOffsetReset.Earliest => "earliest",
            Config.AutoOffsetReset.Latest => "latest",
            _ => "none",
        });
    }

    public bool? EnableAutoCommit { get => GetBool("enable.auto.commit"); set => SetOrRemove("enable.auto.commit", value); }

    public int? AutoCommitIntervalMs { get => GetInt("auto.commit.interval.ms"); set => SetOrRemove("auto.commit.interval.ms", value); }

    public bool? EnableAutoOffsetStore { get => GetBool("enable.auto.offset.store"); set => SetOrRemove("enable.auto.offset.store", value); }

    /// <summary>Comma-separated assignor names: range, roundrobin, cooperative-sticky.</summary>
    public string? PartitionAssignmentStrategy
    {
        get => Get("partition.assignment.strategy");
        set => SetOrRemove("partition.assignment.strategy", value);
    }

    public IsolationLevel? IsolationLevel
    {
        get => Get("isolation.level") is { } s ? (s.Trim().Equals("read_uncommitted", StringComparison.OrdinalIgnoreCase) ? Config.IsolationLevel.ReadUncommitted : Config.IsolationLevel.ReadCommitted) : null;
        set => SetOrRemove("isolation.level", value switch { null => null, Config.IsolationLevel.ReadUncommitted => "read_uncommitted", _ => "read_committed" });
    }

    public int? FetchMinBytes { get => GetInt("fetch.min.bytes"); set => SetOrRemove("fetch.min.bytes", value); }

    public int? FetchMaxBytes { get => GetInt("fetch.max.bytes"); set => SetOrRemove("fetch.max.bytes", value); }

    public int? MaxPartitionFetchBytes { get => GetInt("max.partition.fetch.bytes"); set => SetOrRemove("max.partition.fetch.bytes", value); }

    public int? FetchMaxWaitMs { get => GetInt("fetch.max.wait.ms"); set => SetOrRemove("fetch.max.wait.ms", value); }

    public bool? EnablePartitionEof { get => GetBool("enable.partition.eof"); set => SetOrRemove("enable.partition.eof", value); }
}

/// <summary>Where a consumer starts in a partition that has no committed offset.</summary>
public enum AutoOffsetReset
{
    Latest,
    Earliest,
    Error,
}

/// <summary>Whether a consumer sees records of open and aborted transactions.</summary>
public enum IsolationLevel
{
    ReadUncommitted = 0,
    ReadCommitted = 1,
}
