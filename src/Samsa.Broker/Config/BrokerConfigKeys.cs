using static Samsa.Broker.Config.ConfigValidator;

namespace Samsa.Broker.Config;

/// <summary>
/// Every broker configuration key Samsa knows, with Kafka's type and valid values and Samsa's
/// default. Keys with no typed setting in <see cref="BrokerConfig"/> are accepted so that a stock
/// <c>server.properties</c> loads without warnings; they only appear in the loaded entries.
/// Immutable and thread-safe.
/// </summary>
internal static class BrokerConfigKeys
{
    /// <summary>The protocols <c>listener.security.protocol.map</c> and <c>security.inter.broker.protocol</c> know.</summary>
    public static readonly string[] SecurityProtocols = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

    public const string DefaultSecurityProtocolMap = "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL";

    public static IReadOnlyDictionary<string, ConfigKey> All { get; } = Define();

    private static Dictionary<string, ConfigKey> Define()
    {
        var keys = new Dictionary<string, ConfigKey>(StringComparer.Ordinal);
        void Add(string name, ConfigType type, string? defaultValue, ConfigValidator? validator = null) =>
            keys.Add(name, new ConfigKey(name, type, defaultValue, validator));

        // Identity and cluster.
        Add("broker.id", ConfigType.Int, "0", AtLeast(0));
        Add("node.id", ConfigType.Int, null, AtLeast(0));
        Add("broker.rack", ConfigType.String, null);
        Add("cluster.id", ConfigType.String, null);
        Add("reserved.broker.max.id", ConfigType.Int, "1000", AtLeast(0));
        Add("broker.id.generation.enable", ConfigType.Boolean, "true");
        Add("inter.broker.protocol.version", ConfigType.String, "3.0");
        Add("zookeeper.connect", ConfigType.String, null);
        Add("zookeeper.session.timeout.ms", ConfigType.Int, "18000", AtLeast(1));
        Add("zookeeper.connection.timeout.ms", ConfigType.Int, null, AtLeast(1));
        Add("zookeeper.max.in.flight.requests", ConfigType.Int, "10", AtLeast(1));
        Add("zookeeper.set.acl", ConfigType.Boolean, "false");
        Add("process.roles", ConfigType.List, "");
        Add("controller.quorum.voters", ConfigType.List, "");
        Add("controller.quorum.bootstrap.servers", ConfigType.List, "");
        Add("controller.listener.names", ConfigType.String, null);
        Add("controller.socket.timeout.ms", ConfigType.Int, "30000", AtLeast(0));
        Add("controlled.shutdown.enable", ConfigType.Boolean, "true");
        Add("controlled.shutdown.max.retries", ConfigType.Int, "3", AtLeast(0));
        Add("controlled.shutdown.retry.backoff.ms", ConfigType.Long, "5000", AtLeast(0));
        Add("auto.leader.rebalance.enable", ConfigType.Boolean, "true");
        Add("leader.imbalance.check.interval.seconds", ConfigType.Long, "300", AtLeast(1));
        Add("leader.imbalance.per.broker.percentage", ConfigType.Int, "10", Between(0, 100));

        // Network.
        Add("listeners", ConfigType.List, "PLAINTEXT://127.0.0.1:9092");
        Add("advertised.listeners", ConfigType.List, null);
        Add("listener.security.protocol.map", ConfigType.String, DefaultSecurityProtocolMap);
        Add("inter.broker.listener.name", ConfigType.String, null);
        Add("security.inter.broker.protocol", ConfigType.String, "PLAINTEXT", OneOf(SecurityProtocols));
        Add("control.plane.listener.name", ConfigType.String, null);
        Add("num.network.threads", ConfigType.Int, "3", AtLeast(1));
        Add("num.io.threads", ConfigType.Int, "8", AtLeast(1));
        Add("background.threads", ConfigType.Int, "10", AtLeast(1));
        Add("queued.max.requests", ConfigType.Int, "500", AtLeast(1));
        Add("queued.max.request.bytes", ConfigType.Long, "-1");
        Add("request.timeout.ms", ConfigType.Int, "30000", AtLeast(0));
        Add("socket.send.buffer.bytes", ConfigType.Int, "102400", AtLeast(-1));
        Add("socket.receive.buffer.bytes", ConfigType.Int, "102400", AtLeast(-1));
        Add("socket.request.max.bytes", ConfigType.Int, "104857600", AtLeast(1));
        Add("socket.zero.copy.enable", ConfigType.Boolean, "true");
        Add("socket.listen.backlog.size", ConfigType.Int, "50", AtLeast(1));
        Add("socket.connection.setup.timeout.ms", ConfigType.Long, "10000", AtLeast(0));
        Add("socket.connection.setup.timeout.max.ms", ConfigType.Long, "30000", AtLeast(0));
        Add("connections.max.idle.ms", ConfigType.Long, "600000", AtLeast(0));
        Add("connections.max.reauth.ms", ConfigType.Long, "0", AtLeast(0));
        Add("max.connections", ConfigType.Int, ConfigFormat.IntMax, AtLeast(0));
        Add("max.connections.per.ip", ConfigType.Int, ConfigFormat.IntMax, AtLeast(0));
        Add("max.connections.per.ip.overrides", ConfigType.String, "");
        Add("max.connection.creation.rate", ConfigType.Int, ConfigFormat.IntMax, AtLeast(0));
        Add("message.max.bytes", ConfigType.Int, "1048588", AtLeast(0));
        Add("fetch.max.bytes", ConfigType.Int, "57671680", AtLeast(1024));
        Add("max.incremental.fetch.session.cache.slots", ConfigType.Int, "1000", AtLeast(0));
        Add("fetch.purgatory.purge.interval.requests", ConfigType.Int, "1000");
        Add("producer.purgatory.purge.interval.requests", ConfigType.Int, "1000");
        Add("delete.records.purgatory.purge.interval.requests", ConfigType.Int, "1");

        // Topics and logs.
        Add("auto.create.topics.enable", ConfigType.Boolean, "true");
        Add("delete.topic.enable", ConfigType.Boolean, "true");
        Add("num.partitions", ConfigType.Int, "1", AtLeast(1));
        Add("default.replication.factor", ConfigType.Int, "1", AtLeast(1));
        Add("min.insync.replicas", ConfigType.Int, "1", AtLeast(1));
        Add("unclean.leader.election.enable", ConfigType.Boolean, "false");
        Add("compression.type", ConfigType.String, "producer", OneOf(ConfigFormat.CompressionTypes));
        Add("log.dir", ConfigType.String, "./data");
        Add("log.dirs", ConfigType.String, null);
        Add("num.recovery.threads.per.data.dir", ConfigType.Int, "1", AtLeast(1));
        Add("log.segment.bytes", ConfigType.Int, "1073741824", AtLeast(1024));
        Add("log.roll.ms", ConfigType.Long, null, AtLeast(1));
        Add("log.roll.hours", ConfigType.Int, "168", AtLeast(1));
        Add("log.roll.jitter.ms", ConfigType.Long, null, AtLeast(0));
        Add("log.roll.jitter.hours", ConfigType.Int, "0", AtLeast(0));
        Add("log.index.interval.bytes", ConfigType.Int, "4096", AtLeast(0));
        Add("log.index.size.max.bytes", ConfigType.Int, "10485760", AtLeast(4));
        Add("log.flush.interval.messages", ConfigType.Long, ConfigFormat.LongMax, AtLeast(1));
        Add("log.flush.interval.ms", ConfigType.Long, null, AtLeast(0));
        Add("log.flush.scheduler.interval.ms", ConfigType.Long, ConfigFormat.LongMax, AtLeast(0));
        Add("log.flush.offset.checkpoint.interval.ms", ConfigType.Int, "60000", AtLeast(0));
        // Samsa's own: fsync before acknowledging a produce, one sync per partition per group of produces.
        Add("log.flush.group.commit.enable", ConfigType.Boolean, "false");
        Add("log.flush.start.offset.checkpoint.interval.ms", ConfigType.Int, "60000", AtLeast(0));
        Add("log.retention.ms", ConfigType.Long, null);
        Add("log.retention.minutes", ConfigType.Int, null);
        Add("log.retention.hours", ConfigType.Int, "168");
        Add("log.retention.bytes", ConfigType.Long, "-1");
        Add("log.retention.check.interval.ms", ConfigType.Long, "300000", AtLeast(1));
        Add("log.cleanup.policy", ConfigType.List, "delete", OneOf(ConfigFormat.CleanupPolicies));
        Add("log.segment.delete.delay.ms", ConfigType.Long, "60000", AtLeast(0));
        Add("log.preallocate", ConfigType.Boolean, "false");
        Add("log.message.timestamp.type", ConfigType.String, "CreateTime", OneOf(ConfigFormat.TimestampTypes));
        Add("log.message.timestamp.difference.max.ms", ConfigType.Long, ConfigFormat.LongMax, AtLeast(0));
        Add("log.message.timestamp.before.max.ms", ConfigType.Long, ConfigFormat.LongMax, AtLeast(0));
        Add("log.message.timestamp.after.max.ms", ConfigType.Long, ConfigFormat.LongMax, AtLeast(0));
        Add("log.message.downconversion.enable", ConfigType.Boolean, "true");
        Add("log.message.format.version", ConfigType.String, "3.0-IV1");
        Add("log.cleaner.enable", ConfigType.Boolean, "true");
        Add("log.cleaner.threads", ConfigType.Int, "1", AtLeast(0));
        Add("log.cleaner.backoff.ms", ConfigType.Long, "15000", AtLeast(0));
        Add("log.cleaner.dedupe.buffer.size", ConfigType.Long, "134217728");
        Add("log.cleaner.io.buffer.size", ConfigType.Int, "524288", AtLeast(0));
        Add("log.cleaner.io.buffer.load.factor", ConfigType.Double, "0.9");
        Add("log.cleaner.io.max.bytes.per.second", ConfigType.Double, ConfigFormat.DoubleMax);
        Add("log.cleaner.min.cleanable.ratio", ConfigType.Double, "0.5", Between(0.0, 1.0));
        Add("log.cleaner.delete.retention.ms", ConfigType.Long, "86400000", AtLeast(0));
        Add("log.cleaner.min.compaction.lag.ms", ConfigType.Long, "0", AtLeast(0));
        Add("log.cleaner.max.compaction.lag.ms", ConfigType.Long, ConfigFormat.LongMax, AtLeast(1));

        // Replication.
        Add("num.replica.fetchers", ConfigType.Int, "1", AtLeast(1));
        Add("replica.lag.time.max.ms", ConfigType.Long, "30000", AtLeast(1));
        Add("replica.fetch.max.bytes", ConfigType.Int, "1048576", AtLeast(0));
        Add("replica.fetch.min.bytes", ConfigType.Int, "1", AtLeast(1));
        Add("replica.fetch.wait.max.ms", ConfigType.Int, "500", AtLeast(0));
        Add("replica.fetch.backoff.ms", ConfigType.Int, "1000", AtLeast(0));
        Add("replica.fetch.response.max.bytes", ConfigType.Int, "10485760", AtLeast(0));
        Add("replica.socket.timeout.ms", ConfigType.Int, "30000", AtLeast(1));
        Add("replica.socket.receive.buffer.bytes", ConfigType.Int, "65536", AtLeast(-1));
        Add("replica.high.watermark.checkpoint.interval.ms", ConfigType.Long, "5000", AtLeast(1));
        Add("replica.selector.class", ConfigType.Class, null);

        // Group coordinator and committed offsets.
        Add("offsets.topic.num.partitions", ConfigType.Int, "50", AtLeast(1));
        Add("offsets.topic.replication.factor", ConfigType.Short, "1", AtLeast(1));
        Add("offsets.topic.segment.bytes", ConfigType.Int, "104857600", AtLeast(1024));
        Add("offsets.topic.compression.codec", ConfigType.Int, "0", Between(0, 4));
        Add("offsets.load.buffer.size", ConfigType.Int, "5242880", AtLeast(1));
        Add("offsets.commit.timeout.ms", ConfigType.Int, "5000", AtLeast(1));
        Add("offsets.commit.required.acks", ConfigType.Short, "-1");
        Add("offsets.retention.minutes", ConfigType.Int, "10080", AtLeast(1));
        Add("offsets.retention.check.interval.ms", ConfigType.Long, "600000", AtLeast(1));
        Add("offset.metadata.max.bytes", ConfigType.Int, "4096", AtLeast(0));
        Add("group.initial.rebalance.delay.ms", ConfigType.Int, "3000", AtLeast(0));
        Add("group.min.session.timeout.ms", ConfigType.Int, "6000", AtLeast(0));
        Add("group.max.session.timeout.ms", ConfigType.Int, "1800000", AtLeast(0));
        Add("group.max.size", ConfigType.Int, ConfigFormat.IntMax, AtLeast(1));

        // Transactions and producer ids.
        Add("transaction.max.timeout.ms", ConfigType.Int, "900000", AtLeast(1));
        Add("transactional.id.expiration.ms", ConfigType.Int, "604800000", AtLeast(1));
        Add("transaction.state.log.num.partitions", ConfigType.Int, "50", AtLeast(1));
        Add("transaction.state.log.replication.factor", ConfigType.Short, "1", AtLeast(1));
        Add("transaction.state.log.min.isr", ConfigType.Int, "1", AtLeast(1));
        Add("transaction.state.log.segment.bytes", ConfigType.Int, "104857600", AtLeast(1024));
        Add("transaction.state.log.load.buffer.size", ConfigType.Int, "5242880", AtLeast(1));
        Add("transaction.abort.timed.out.transaction.cleanup.interval.ms", ConfigType.Int, "10000", AtLeast(1));
        Add("transaction.remove.expired.transaction.cleanup.interval.ms", ConfigType.Int, "3600000", AtLeast(1));
        Add("producer.id.expiration.ms", ConfigType.Int, "86400000", AtLeast(1));
        Add("producer.id.expiration.check.interval.ms", ConfigType.Int, "600000", AtLeast(1));

        // Metrics and quotas: accepted, not used.
        Add("metric.reporters", ConfigType.List, "");
        Add("metrics.num.samples", ConfigType.Int, "2", AtLeast(1));
        Add("metrics.sample.window.ms", ConfigType.Long, "30000", AtLeast(1));
        Add("metrics.recording.level", ConfigType.String, "INFO", OneOf("INFO", "DEBUG", "TRACE"));
        Add("auto.include.jmx.reporter", ConfigType.Boolean, "true");
        Add("kafka.metrics.reporters", ConfigType.List, "");
        Add("kafka.metrics.polling.interval.secs", ConfigType.Int, "10", AtLeast(1));
        Add("quota.window.num", ConfigType.Int, "11", AtLeast(1));
        Add("quota.window.size.seconds", ConfigType.Int, "1", AtLeast(1));
        Add("replication.quota.window.num", ConfigType.Int, "11", AtLeast(1));
        Add("replication.quota.window.size.seconds", ConfigType.Int, "1", AtLeast(1));

        return keys;
    }
}
