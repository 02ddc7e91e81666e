namespace Samsa.Broker.Config;

/// <summary>
/// The broker's typed settings, named after Kafka's broker configuration keys. Settings Kafka
/// spells several ways (<c>log.retention.ms/minutes/hours</c>, <c>log.roll.ms/hours</c>,
/// <c>log.dirs/log.dir</c>) hold the resolved value. <c>new BrokerConfig()</c> is the default
/// configuration; <see cref="BrokerConfigLoader"/> builds one from a properties file, the
/// environment and overrides. Immutable.
/// </summary>
public sealed record BrokerConfig
{
    /// <summary>The default listener, <c>PLAINTEXT://127.0.0.1:9092</c>.</summary>
    public static readonly IReadOnlyList<ListenerEndpoint> DefaultListeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 9092)];

    // Identity and cluster.

    /// <summary>broker.id (default 0; node.id is used when only it is set).</summary>
    public int BrokerId { get; init; }

    /// <summary>broker.rack (default null).</summary>
    public string? BrokerRack { get; init; }

    /// <summary>cluster.id (default null: generated and kept in the data directory); a Samsa key.</summary>
    public string? ClusterId { get; init; }

    /// <summary>zookeeper.connect (default null: single node, metadata in the data directory).</summary>
    public string? ZookeeperConnect { get; init; }

    /// <summary>zookeeper.session.timeout.ms (default 18000).</summary>
    public int ZookeeperSessionTimeoutMs { get; init; } = 18000;

    /// <summary>zookeeper.connection.timeout.ms (default null: zookeeper.session.timeout.ms).</summary>
    public int ZookeeperConnectionTimeoutMs { get; init; } = 18000;

    /// <summary>zookeeper.max.in.flight.requests (default 10).</summary>
    public int ZookeeperMaxInFlightRequests { get; init; } = 10;

    /// <summary>controlled.shutdown.enable (default true).</summary>
    public bool ControlledShutdownEnable { get; init; } = true;

    /// <summary>controlled.shutdown.max.retries (default 3).</summary>
    public int ControlledShutdownMaxRetries { get; init; } = 3;

    /// <summary>controlled.shutdown.retry.backoff.ms (default 5000).</summary>
    public long ControlledShutdownRetryBackoffMs { get; init; } = 5000;

    /// <summary>controller.socket.timeout.ms (default 30000).</summary>
    public int ControllerSocketTimeoutMs { get; init; } = 30000;

    /// <summary>auto.leader.rebalance.enable (default true).</summary>
    public bool AutoLeaderRebalanceEnable { get; init; } = true;

    /// <summary>leader.imbalance.check.interval.seconds (default 300).</summary>
    public long LeaderImbalanceCheckIntervalSeconds { get; init; } = 300;

    /// <summary>leader.imbalance.per.broker.percentage (default 10).</summary>
    public int LeaderImbalancePerBrokerPercentage { get; init; } = 10;

    // Network.

    /// <summary>listeners (default PLAINTEXT://127.0.0.1:9092); only PLAINTEXT security is supported.</summary>
    public IReadOnlyList<ListenerEndpoint> Listeners { get; init; } = DefaultListeners;

    /// <summary>advertised.listeners (default null: the listeners).</summary>
    public IReadOnlyList<ListenerEndpoint>? AdvertisedListeners { get; init; }

    /// <summary>The listeners given to clients: advertised.listeners, else listeners.</summary>
    public IReadOnlyList<ListenerEndpoint> EffectiveAdvertisedListeners => AdvertisedListeners ?? Listeners;

    /// <summary>listener.security.protocol.map (default PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL), listener name to protocol.</summary>
    public IReadOnlyDictionary<string, string> ListenerSecurityProtocolMap { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["PLAINTEXT"] = "PLAINTEXT",
        ["SSL"] = "SSL",
        ["SASL_PLAINTEXT"] = "SASL_PLAINTEXT",
        ["SASL_SSL"] = "SASL_SSL",
    };

    /// <summary>inter.broker.listener.name (default null: the listener named after security.inter.broker.protocol, PLAINTEXT).</summary>
    public string InterBrokerListenerName { get; init; } = "PLAINTEXT";

    /// <summary>num.network.threads (default 3); informational, the network layer is asynchronous.</summary>
    public int NumNetworkThreads { get; init; } = 3;

    /// <summary>num.io.threads (default 8); informational.</summary>
    public int NumIoThreads { get; init; } = 8;

    /// <summary>background.threads (default 10).</summary>
    public int BackgroundThreads { get; init; } = 10;

    /// <summary>queued.max.requests (default 500).</summary>
    public int QueuedMaxRequests { get; init; } = 500;

    /// <summary>request.timeout.ms (default 30000), for requests the broker sends.</summary>
    public int RequestTimeoutMs { get; init; } = 30000;

    /// <summary>socket.send.buffer.bytes (default 102400; -1 keeps the OS default).</summary>
    public int SocketSendBufferBytes { get; init; } = 102400;

    /// <summary>socket.receive.buffer.bytes (default 102400; -1 keeps the OS default).</summary>
    public int SocketReceiveBufferBytes { get; init; } = 102400;

    /// <summary>socket.request.max.bytes (default 104857600), the largest request accepted.</summary>
    public int SocketRequestMaxBytes { get; init; } = 104857600;

    /// <summary>
    /// socket.zero.copy.enable (Samsa's own; default true): fetch responses on plaintext listeners send their records
    /// from the segment files with sendfile(2). False copies them through memory, for comparison.
    /// </summary>
    public bool SocketZeroCopyEnable { get; init; } = true;

    /// <summary>socket.listen.backlog.size (default 50).</summary>
    public int SocketListenBacklogSize { get; init; } = 50;

    /// <summary>connections.max.idle.ms (default 600000).</summary>
    public long ConnectionsMaxIdleMs { get; init; } = 600000;

    /// <summary>max.connections (default 2147483647).</summary>
    public int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>max.connections.per.ip (default 2147483647).</summary>
    public int MaxConnectionsPerIp { get; init; } = int.MaxValue;

    /// <summary>message.max.bytes (default 1048588), the largest record batch accepted.</summary>
    public int MessageMaxBytes { get; init; } = 1048588;

    /// <summary>fetch.max.bytes (default 57671680), the most a fetch response holds.</summary>
    public int FetchMaxBytes { get; init; } = 57671680;

    /// <summary>max.incremental.fetch.session.cache.slots (default 1000).</summary>
    public int MaxIncrementalFetchSessionCacheSlots { get; init; } = 1000;

    /// <summary>fetch.purgatory.purge.interval.requests (default 1000).</summary>
    public int FetchPurgatoryPurgeIntervalRequests { get; init; } = 1000;

    /// <summary>producer.purgatory.purge.interval.requests (default 1000).</summary>
    public int ProducerPurgatoryPurgeIntervalRequests { get; init; } = 1000;

    /// <summary>delete.records.purgatory.purge.interval.requests (default 1).</summary>
    public int DeleteRecordsPurgatoryPurgeIntervalRequests { get; init; } = 1;

    // Topics and logs.

    /// <summary>auto.create.topics.enable (default true).</summary>
    public bool AutoCreateTopicsEnable { get; init; } = true;

    /// <summary>delete.topic.enable (default true).</summary>
    public bool DeleteTopicEnable { get; init; } = true;

    /// <summary>num.partitions (default 1), for topics created without a count.</summary>
    public int NumPartitions { get; init; } = 1;

    /// <summary>default.replication.factor (default 1).</summary>
    public int DefaultReplicationFactor { get; init; } = 1;

    /// <summary>min.insync.replicas (default 1).</summary>
    public int MinInsyncReplicas { get; init; } = 1;

    /// <summary>unclean.leader.election.enable (default false).</summary>
    public bool UncleanLeaderElectionEnable { get; init; }

    /// <summary>compression.type (default producer).</summary>
    public BrokerCompressionType CompressionType { get; init; } = BrokerCompressionType.Producer;

    /// <summary>log.dirs, else log.dir (default ./data), the data directories.</summary>
    public IReadOnlyList<string> LogDirs { get; init; } = ["./data"];

    /// <summary>num.recovery.threads.per.data.dir (default 1).</summary>
    public int NumRecoveryThreadsPerDataDir { get; init; } = 1;

    /// <summary>log.segment.bytes (default 1073741824, at least 1024: Samsa's floor, where Kafka's is 14).</summary>
    public int LogSegmentBytes { get; init; } = 1073741824;

    /// <summary>log.roll.ms, else log.roll.hours (default 168 hours = 604800000 ms).</summary>
    public long LogRollMs { get; init; } = 604800000;

    /// <summary>log.roll.jitter.ms, else log.roll.jitter.hours (default 0).</summary>
    public long LogRollJitterMs { get; init; }

    /// <summary>log.index.interval.bytes (default 4096).</summary>
    public int LogIndexIntervalBytes { get; init; } = 4096;

    /// <summary>log.index.size.max.bytes (default 10485760).</summary>
    public int LogIndexSizeMaxBytes { get; init; } = 10485760;

    /// <summary>log.flush.interval.messages (default 9223372036854775807: never by count).</summary>
    public long LogFlushIntervalMessages { get; init; } = long.MaxValue;

    /// <summary>log.flush.interval.ms, else log.flush.scheduler.interval.ms (default 9223372036854775807).</summary>
    public long LogFlushIntervalMs { get; init; } = long.MaxValue;

    /// <summary>log.flush.scheduler.interval.ms (default 9223372036854775807).</summary>
    public long LogFlushSchedulerIntervalMs { get; init; } = long.MaxValue;

    /// <summary>
    /// log.flush.group.commit.enable, a Samsa key (default false). When true, a produce with acks=1 or acks=all is
    /// answered only after its records are fsynced to the log dir; produces that arrive together share one
    /// sync per partition (<see cref="Samsa.Storage.GroupCommitFlusher"/>). acks=0 produces get no answer and do not wait.
    /// Independent of log.flush.interval.messages / log.flush.interval.ms, which keep their Kafka meaning.
    /// </summary>
    public bool LogFlushGroupCommitEnable { get; init; }

    /// <summary>log.flush.offset.checkpoint.interval.ms (default 60000).</summary>
    public int LogFlushOffsetCheckpointIntervalMs { get; init; } = 60000;

    /// <summary>log.flush.start.offset.checkpoint.interval.ms (default 60000).</summary>
    public int LogFlushStartOffsetCheckpointIntervalMs { get; init; } = 60000;

    /// <summary>log.retention.ms, else .minutes, else .hours (default 168 hours = 604800000 ms; -1 = unlimited).</summary>
    public long LogRetentionMs { get; init; } = 604800000;

    /// <summary>log.retention.bytes (default -1 = unlimited).</summary>
    public long LogRetentionBytes { get; init; } = -1;

    /// <summary>log.retention.check.interval.ms (default 300000).</summary>
    public long LogRetentionCheckIntervalMs { get; init; } = 300000;

    /// <summary>log.cleanup.policy (default delete).</summary>
    public CleanupPolicy LogCleanupPolicy { get; init; } = CleanupPolicy.Delete;

    /// <summary>log.segment.delete.delay.ms (default 60000).</summary>
    public long LogSegmentDeleteDelayMs { get; init; } = 60000;

    /// <summary>log.preallocate (default false).</summary>
    public bool LogPreallocate { get; init; }

    /// <summary>log.message.timestamp.type (default CreateTime).</summary>
    public MessageTimestampType LogMessageTimestampType { get; init; } = MessageTimestampType.CreateTime;

    /// <summary>log.message.timestamp.difference.max.ms (default 9223372036854775807).</summary>
    public long LogMessageTimestampDifferenceMaxMs { get; init; } = long.MaxValue;

    /// <summary>log.message.timestamp.before.max.ms (default 9223372036854775807).</summary>
    public long LogMessageTimestampBeforeMaxMs { get; init; } = long.MaxValue;

    /// <summary>log.message.timestamp.after.max.ms (default 9223372036854775807).</summary>
    public long LogMessageTimestampAfterMaxMs { get; init; } = long.MaxValue;

    /// <summary>log.message.downconversion.enable (default true).</summary>
    public bool LogMessageDownconversionEnable { get; init; } = true;

    /// <summary>log.message.format.version (default 3.0-IV1); accepted, batches are always magic 2.</summary>
    public string LogMessageFormatVersion { get; init; } = "3.0-IV1";

    /// <summary>log.cleaner.enable (default true).</summary>
    public bool LogCleanerEnable { get; init; } = true;

    /// <summary>log.cleaner.threads (default 1).</summary>
    public int LogCleanerThreads { get; init; } = 1;

    /// <summary>log.cleaner.backoff.ms (default 15000).</summary>
    public long LogCleanerBackoffMs { get; init; } = 15000;

    /// <summary>log.cleaner.dedupe.buffer.size (default 134217728).</summary>
    public long LogCleanerDedupeBufferSize { get; init; } = 134217728;

    /// <summary>log.cleaner.io.buffer.size (default 524288).</summary>
    public int LogCleanerIoBufferSize { get; init; } = 524288;

    /// <summary>log.cleaner.io.buffer.load.factor (default 0.9): how full the cleaner's offset map gets before a pass stops adding keys.</summary>
    public double LogCleanerIoBufferLoadFactor { get; init; } = 0.9;

    /// <summary>log.cleaner.io.max.bytes.per.second (default 1.7976931348623157E+308, unlimited): the cleaner threads' combined I/O cap.</summary>
    public double LogCleanerIoMaxBytesPerSecond { get; init; } = double.MaxValue;

    /// <summary>log.cleaner.min.cleanable.ratio (default 0.5).</summary>
    public double LogCleanerMinCleanableRatio { get; init; } = 0.5;

    /// <summary>log.cleaner.delete.retention.ms (default 86400000).</summary>
    public long LogCleanerDeleteRetentionMs { get; init; } = 86400000;

    /// <summary>log.cleaner.min.compaction.lag.ms (default 0).</summary>
    public long LogCleanerMinCompactionLagMs { get; init; }

    /// <summary>log.cleaner.max.compaction.lag.ms (default 9223372036854775807).</summary>
    public long LogCleanerMaxCompactionLagMs { get; init; } = long.MaxValue;

    // Replication.

    /// <summary>num.replica.fetchers (default 1).</summary>
    public int NumReplicaFetchers { get; init; } = 1;

    /// <summary>replica.lag.time.max.ms (default 30000).</summary>
    public long ReplicaLagTimeMaxMs { get; init; } = 30000;

    /// <summary>replica.fetch.max.bytes (default 1048576).</summary>
    public int ReplicaFetchMaxBytes { get; init; } = 1048576;

    /// <summary>replica.fetch.min.bytes (default 1).</summary>
    public int ReplicaFetchMinBytes { get; init; } = 1;

    /// <summary>replica.fetch.wait.max.ms (default 500).</summary>
    public int ReplicaFetchWaitMaxMs { get; init; } = 500;

    /// <summary>replica.fetch.backoff.ms (default 1000).</summary>
    public int ReplicaFetchBackoffMs { get; init; } = 1000;

    /// <summary>replica.fetch.response.max.bytes (default 10485760).</summary>
    public int ReplicaFetchResponseMaxBytes { get; init; } = 10485760;

    /// <summary>replica.socket.timeout.ms (default 30000).</summary>
    public int ReplicaSocketTimeoutMs { get; init; } = 30000;

    /// <summary>replica.socket.receive.buffer.bytes (default 65536).</summary>
    public int ReplicaSocketReceiveBufferBytes { get; init; } = 65536;

    /// <summary>replica.high.watermark.checkpoint.interval.ms (default 5000).</summary>
    public long ReplicaHighWatermarkCheckpointIntervalMs { get; init; } = 5000;

    // Group coordinator and committed offsets.

    /// <summary>offsets.topic.num.partitions (default 50).</summary>
    public int OffsetsTopicNumPartitions { get; init; } = 50;

    /// <summary>offsets.topic.replication.factor (default 1 here; Kafka's is 3).</summary>
    public short OffsetsTopicReplicationFactor { get; init; } = 1;

    /// <summary>offsets.topic.segment.bytes (default 104857600).</summary>
    public int OffsetsTopicSegmentBytes { get; init; } = 104857600;

    /// <summary>offsets.load.buffer.size (default 5242880).</summary>
    public int OffsetsLoadBufferSize { get; init; } = 5242880;

    /// <summary>offsets.commit.timeout.ms (default 5000).</summary>
    public int OffsetsCommitTimeoutMs { get; init; } = 5000;

    /// <summary>offsets.retention.minutes (default 10080 = 7 days).</summary>
    public int OffsetsRetentionMinutes { get; init; } = 10080;

    /// <summary>offsets.retention.check.interval.ms (default 600000).</summary>
    public long OffsetsRetentionCheckIntervalMs { get; init; } = 600000;

    /// <summary>offset.metadata.max.bytes (default 4096).</summary>
    public int OffsetMetadataMaxBytes { get; init; } = 4096;

    /// <summary>group.initial.rebalance.delay.ms (default 3000).</summary>
    public int GroupInitialRebalanceDelayMs { get; init; } = 3000;

    /// <summary>group.min.session.timeout.ms (default 6000).</summary>
    public int GroupMinSessionTimeoutMs { get; init; } = 6000;

    /// <summary>group.max.session.timeout.ms (default 1800000).</summary>
    public int GroupMaxSessionTimeoutMs { get; init; } = 1800000;

    /// <summary>group.max.size (default 2147483647).</summary>
    public int GroupMaxSize { get; init; } = int.MaxValue;

    // Transactions and producer ids.

    /// <summary>transaction.max.timeout.ms (default 900000).</summary>
    public int TransactionMaxTimeoutMs { get; init; } = 900000;

    /// <summary>transactional.id.expiration.ms (default 604800000).</summary>
    public int TransactionalIdExpirationMs { get; init; } = 604800000;

    /// <summary>transaction.state.log.num.partitions (default 50).</summary>
    public int TransactionStateLogNumPartitions { get; init; } = 50;

    /// <summary>transaction.state.log.replication.factor (default 1 here; Kafka's is 3).</summary>
    public short TransactionStateLogReplicationFactor { get; init; } = 1;

    /// <summary>transaction.state.log.min.isr (default 1 here; Kafka's is 2).</summary>
    public int TransactionStateLogMinIsr { get; init; } = 1;

    /// <summary>transaction.state.log.segment.bytes (default 104857600).</summary>
    public int TransactionStateLogSegmentBytes { get; init; } = 104857600;

    /// <summary>transaction.state.log.load.buffer.size (default 5242880).</summary>
    public int TransactionStateLogLoadBufferSize { get; init; } = 5242880;

    /// <summary>transaction.abort.timed.out.transaction.cleanup.interval.ms (default 10000).</summary>
    public int TransactionAbortTimedOutTransactionCleanupIntervalMs { get; init; } = 10000;

    /// <summary>transaction.remove.expired.transaction.cleanup.interval.ms (default 3600000).</summary>
    public int TransactionRemoveExpiredTransactionCleanupIntervalMs { get; init; } = 3600000;

    /// <summary>producer.id.expiration.ms (default 86400000).</summary>
    public int ProducerIdExpirationMs { get; init; } = 86400000;

    /// <summary>producer.id.expiration.check.interval.ms (default 600000).</summary>
    public int ProducerIdExpirationCheckIntervalMs { get; init; } = 600000;
}
