using System.Collections;
using System.Globalization;

namespace Samsa.Broker.Config;

/// <summary>
/// Builds a <see cref="BrokerConfig"/> from Kafka-named keys. Precedence, lowest first: defaults,
/// the properties file, <c>SAMSA_</c> environment variables (<c>SAMSA_LOG_DIRS</c> sets
/// <c>log.dirs</c>: prefix stripped, lower-cased, <c>_</c> read as <c>.</c>; variables that name no
/// key are ignored), then <c>--override key=value</c> pairs. Unknown keys from the file or the
/// overrides produce warnings; invalid values throw <see cref="ConfigException"/> naming the key.
/// Stateless and thread-safe.
/// </summary>
public static class BrokerConfigLoader
{
    private const string EnvironmentPrefix = "SAMSA_";

    /// <summary>Loads the broker configuration.</summary>
    /// <param name="propertiesFile">A <c>server.properties</c> file, or null for none.</param>
    /// <param name="overrides"><c>key=value</c> pairs from <c>--override</c>, applied in order.</param>
    /// <param name="environment">Environment variables; only <c>SAMSA_</c> ones are read.</param>
    /// <exception cref="ConfigException">A missing or malformed file, a malformed override or an invalid value.</exception>
    public static BrokerConfigLoadResult Load(
        string? propertiesFile,
        IEnumerable<string> overrides,
        IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        ArgumentNullException.ThrowIfNull(environment);

        var warnings = new List<string>();
        var given = new Dictionary<string, (string Value, ConfigSource Source)>(StringComparer.Ordinal);

        if (propertiesFile is not null)
        {
            var text = JavaProperties.ReadFile(propertiesFile);
            foreach (var (key, value, line) in JavaProperties.ParseLines(text, propertiesFile))
            {
                if (BrokerConfigKeys.All.ContainsKey(key))
                {
                    given[key] = (value, ConfigSource.File);
                }
                else
                {
                    warnings.Add($"Unknown configuration '{key}' in {propertiesFile} at line {line} is ignored.");
                }
            }
        }

        foreach (var (name, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var key = name[EnvironmentPrefix.Length..].ToLowerInvariant().Replace('_', '.');
            if (BrokerConfigKeys.All.ContainsKey(key))
            {
                given[key] = (value, ConfigSource.Environment);
            }
        }

        foreach (var pair in overrides)
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            var key = separator < 0 ? string.Empty : pair[..separator].Trim();
            if (key.Length == 0)
            {
                throw new ConfigException($"Invalid override '{pair}': expected key=value, for example num.partitions=3.");
            }

            if (BrokerConfigKeys.All.ContainsKey(key))
            {
                given[key] = (pair[(separator + 1)..], ConfigSource.Override);
            }
            else
            {
                warnings.Add($"Unknown configuration '{key}' in --override is ignored.");
            }
        }

        var values = new ConfigValues();
        var entries = new SortedDictionary<string, ConfigEntry>(StringComparer.Ordinal);
        foreach (var (name, key) in BrokerConfigKeys.All)
        {
            if (given.TryGetValue(name, out var setting))
            {
                values.Set(name, key.Parse(setting.Value));
                entries.Add(name, new ConfigEntry(name, setting.Value.Trim(), setting.Source, key.Type));
            }
            else
            {
                values.Set(name, key.Parse(key.DefaultValue));
                entries.Add(name, new ConfigEntry(name, key.DefaultValue, ConfigSource.Default, key.Type));
            }
        }

        var config = Build(values, given, warnings);
        return new BrokerConfigLoadResult(config, warnings, entries);
    }

    /// <summary>The current process's environment variables, for <see cref="Load"/>.</summary>
    public static IReadOnlyDictionary<string, string> ProcessEnvironment()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string name && entry.Value is string value)
            {
                result[name] = value;
            }
        }

        return result;
    }

    private static BrokerConfig Build(
        ConfigValues values,
        Dictionary<string, (string Value, ConfigSource Source)> given,
        List<string> warnings)
    {
        var protocolMap = ParseSecurityProtocolMap(values.String("listener.security.protocol.map"));
        var listeners = ParseListeners("listeners", values.List("listeners"), protocolMap);
        if (listeners.Length == 0)
        {
            throw ConfigException.InvalidValue("listeners", string.Empty, "expected at least one listener NAME://host:port");
        }

        var advertisedValue = values.NullableList("advertised.listeners");
        IReadOnlyList<ListenerEndpoint>? advertised = null;
        if (advertisedValue is { Count: > 0 })
        {
            advertised = ParseListeners("advertised.listeners", advertisedValue, protocolMap);
            foreach (var endpoint in advertised)
            {
                if (!listeners.Any(l => l.Name == endpoint.Name))
                {
                    throw ConfigException.InvalidValue(
                        "advertised.listeners",
                        string.Join(",", advertisedValue),
                        $"listener name {endpoint.Name} is not one of the names in listeners ({string.Join(", ", listeners.Select(l => l.Name))})");
                }

                if (endpoint.Host is "0.0.0.0" or "::")
                {
                    throw ConfigException.InvalidValue(
                        "advertised.listeners",
                        string.Join(",", advertisedValue),
                        $"'{endpoint}' advertises the non-routable address {endpoint.Host}; expected a host name or address clients can reach");
                }
            }
        }

        var interBrokerListenerName = ResolveInterBrokerListener(values, given, advertised ?? listeners);

        var brokerId = values.Int("broker.id");
        if (values.NullableInt("node.id") is { } nodeId)
        {
            if (!given.ContainsKey("broker.id"))
            {
                brokerId = nodeId;
            }
            else if (nodeId != brokerId)
            {
                throw ConfigException.InvalidValue(
                    "node.id",
                    nodeId.ToString(CultureInfo.InvariantCulture),
                    $"expected the same id as broker.id ({brokerId.ToString(CultureInfo.InvariantCulture)}) when both are set");
            }
        }

        if (values.List("process.roles").Count > 0)
        {
            warnings.Add("process.roles is set but Samsa does not run KRaft; the broker runs single-node or with zookeeper.connect, and the KRaft settings are ignored.");
        }

        var logDirsText = values.NullableString("log.dirs") ?? values.String("log.dir");
        var logDirsKey = values.NullableString("log.dirs") is null ? "log.dir" : "log.dirs";
        var logDirs = logDirsText.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (logDirs.Length == 0)
        {
            throw ConfigException.InvalidValue(logDirsKey, logDirsText, "expected a comma-separated list of one or more directories");
        }

        var sessionTimeoutMs = values.Int("zookeeper.session.timeout.ms");

        return new BrokerConfig
        {
            BrokerId = brokerId,
            BrokerRack = values.NullableString("broker.rack"),
            ClusterId = values.NullableString("cluster.id"),
            ZookeeperConnect = values.NullableString("zookeeper.connect"),
            ZookeeperSessionTimeoutMs = sessionTimeoutMs,
            ZookeeperConnectionTimeoutMs = values.NullableInt("zookeeper.connection.timeout.ms") ?? sessionTimeoutMs,
            ZookeeperMaxInFlightRequests = values.Int("zookeeper.max.in.flight.requests"),
            ControlledShutdownEnable = values.Bool("controlled.shutdown.enable"),
            ControlledShutdownMaxRetries = values.Int("controlled.shutdown.max.retries"),
            ControlledShutdownRetryBackoffMs = values.Long("controlled.shutdown.retry.backoff.ms"),
            ControllerSocketTimeoutMs = values.Int("controller.socket.timeout.ms"),
            AutoLeaderRebalanceEnable = values.Bool("auto.leader.rebalance.enable"),
            LeaderImbalanceCheckIntervalSeconds = values.Long("leader.imbalance.check.interval.seconds"),
            LeaderImbalancePerBrokerPercentage = values.Int("leader.imbalance.per.broker.percentage"),

            Listeners = listeners,
            AdvertisedListeners = advertised,
            ListenerSecurityProtocolMap = protocolMap,
            InterBrokerListenerName = interBrokerListenerName,
            NumNetworkThreads = values.Int("num.network.threads"),
            NumIoThreads = values.Int("num.io.threads"),
            BackgroundThreads = values.Int("background.threads"),
            QueuedMaxRequests = values.Int("queued.max.requests"),
            RequestTimeoutMs = values.Int("request.timeout.ms"),
            SocketSendBufferBytes = values.Int("socket.send.buffer.bytes"),
            SocketReceiveBufferBytes = values.Int("socket.receive.buffer.bytes"),
            SocketRequestMaxBytes = values.Int("socket.request.max.bytes"),
            SocketZeroCopyEnable = values.Bool("socket.zero.copy.enable"),
            SocketListenBacklogSize = values.Int("socket.listen.backlog.size"),
            ConnectionsMaxIdleMs = values.Long("connections.max.idle.ms"),
            MaxConnections = values.Int("max.connections"),
            MaxConnectionsPerIp = values.Int("max.connections.per.ip"),
            MessageMaxBytes = values.Int("message.max.bytes"),
            FetchMaxBytes = values.Int("fetch.max.bytes"),
            MaxIncrementalFetchSessionCacheSlots = values.Int("max.incremental.fetch.session.cache.slots"),
            FetchPurgatoryPurgeIntervalRequests = values.Int("fetch.purgatory.purge.interval.requests"),
            ProducerPurgatoryPurgeIntervalRequests = values.Int("producer.purgatory.purge.interval.requests"),
            DeleteRecordsPurgatoryPurgeIntervalRequests = values.Int("delete.records.purgatory.purge.interval.requests"),

            AutoCreateTopicsEnable = values.Bool("auto.create.topics.enable"),
            DeleteTopicEnable = values.Bool("delete.topic.enable"),
            NumPartitions = values.Int("num.partitions"),
            DefaultReplicationFactor = values.Int("default.replication.factor"),
            MinInsyncReplicas = values.Int("min.insync.replicas"),
            UncleanLeaderElectionEnable = values.Bool("unclean.leader.election.enable"),
            CompressionType = ConfigFormat.ParseCompressionType(values.String("compression.type")),
            LogDirs = logDirs,
            NumRecoveryThreadsPerDataDir = values.Int("num.recovery.threads.per.data.dir"),
            LogSegmentBytes = values.Int("log.segment.bytes"),
            LogRollMs = values.NullableLong("log.roll.ms") ?? HoursToMs(values.Int("log.roll.hours")),
            LogRollJitterMs = values.NullableLong("log.roll.jitter.ms") ?? HoursToMs(values.Int("log.roll.jitter.hours")),
            LogIndexIntervalBytes = values.Int("log.index.interval.bytes"),
            LogIndexSizeMaxBytes = values.Int("log.index.size.max.bytes"),
            LogFlushIntervalMessages = values.Long("log.flush.interval.messages"),
            LogFlushIntervalMs = values.NullableLong("log.flush.interval.ms") ?? values.Long("log.flush.scheduler.interval.ms"),
            LogFlushSchedulerIntervalMs = values.Long("log.flush.scheduler.interval.ms"),
            LogFlushGroupCommitEnable = values.Bool("log.flush.group.commit.enable"),
            LogFlushOffsetCheckpointIntervalMs = values.Int("log.flush.offset.checkpoint.interval.ms"),
            LogFlushStartOffsetCheckpointIntervalMs = values.Int("log.flush.start.offset.checkpoint.interval.ms"),
            LogRetentionMs = ResolveRetentionMs(values),
            LogRetentionBytes = values.Long("log.retention.bytes"),
            LogRetentionCheckIntervalMs = values.Long("log.retention.check.interval.ms"),
            LogCleanupPolicy = ConfigFormat.ParseCleanupPolicy(values.List("log.cleanup.policy")),
            LogSegmentDeleteDelayMs = values.Long("log.segment.delete.delay.ms"),
            LogPreallocate = values.Bool("log.preallocate"),
            LogMessageTimestampType = ConfigFormat.ParseTimestampType(values.String("log.message.timestamp.type")),
            LogMessageTimestampDifferenceMaxMs = values.Long("log.message.timestamp.difference.max.ms"),
            LogMessageTimestampBeforeMaxMs = values.Long("log.message.timestamp.before.max.ms"),
            LogMessageTimestampAfterMaxMs = values.Long("log.message.timestamp.after.max.ms"),
            LogMessageDownconversionEnable = values.Bool("log.message.downconversion.enable"),
            LogMessageFormatVersion = values.String("log.message.format.version"),
            LogCleanerEnable = values.Bool("log.cleaner.enable"),
            LogCleanerThreads = values.Int("log.cleaner.threads"),
            LogCleanerBackoffMs = values.Long("log.cleaner.backoff.ms"),
            LogCleanerDedupeBufferSize = values.Long("log.cleaner.dedupe.buffer.size"),
            LogCleanerIoBufferSize = values.Int("log.cleaner.io.buffer.size"),
            LogCleanerIoBufferLoadFactor = values.Double("log.cleaner.io.buffer.load.factor"),
            LogCleanerIoMaxBytesPerSecond = values.Double("log.cleaner.io.max.bytes.per.second"),
            LogCleanerMinCleanableRatio = values.Double("log.cleaner.min.cleanable.ratio"),
            LogCleanerDeleteRetentionMs = values.Long("log.cleaner.delete.retention.ms"),
            LogCleanerMinCompactionLagMs = values.Long("log.cleaner.min.compaction.lag.ms"),
            LogCleanerMaxCompactionLagMs = values.Long("log.cleaner.max.compaction.lag.ms"),

            NumReplicaFetchers = values.Int("num.replica.fetchers"),
            ReplicaLagTimeMaxMs = values.Long("replica.lag.time.max.ms"),
            ReplicaFetchMaxBytes = values.Int("replica.fetch.max.bytes"),
            ReplicaFetchMinBytes = values.Int("replica.fetch.min.bytes"),
            ReplicaFetchWaitMaxMs = values.Int("replica.fetch.wait.max.ms"),
            ReplicaFetchBackoffMs = values.Int("replica.fetch.backoff.ms"),
            ReplicaFetchResponseMaxBytes = values.Int("replica.fetch.response.max.bytes"),
            ReplicaSocketTimeoutMs = values.Int("replica.socket.timeout.ms"),
            ReplicaSocketReceiveBufferBytes = values.Int("replica.socket.receive.buffer.bytes"),
            ReplicaHighWatermarkCheckpointIntervalMs = values.Long("replica.high.watermark.checkpoint.interval.ms"),

            OffsetsTopicNumPartitions = values.Int("offsets.topic.num.partitions"),
            OffsetsTopicReplicationFactor = values.Short("offsets.topic.replication.factor"),
            OffsetsTopicSegmentBytes = values.Int("offsets.topic.segment.bytes"),
            OffsetsLoadBufferSize = values.Int("offsets.load.buffer.size"),
            OffsetsCommitTimeoutMs = values.Int("offsets.commit.timeout.ms"),
            OffsetsRetentionMinutes = values.Int("offsets.retention.minutes"),
            OffsetsRetentionCheckIntervalMs = values.Long("offsets.retention.check.interval.ms"),
            OffsetMetadataMaxBytes = values.Int("offset.metadata.max.bytes"),
            GroupInitialRebalanceDelayMs = values.Int("group.initial.rebalance.delay.ms"),
            GroupMinSessionTimeoutMs = values.Int("group.min.session.timeout.ms"),
            GroupMaxSessionTimeoutMs = values.Int("group.max.session.timeout.ms"),
            GroupMaxSize = values.Int("group.max.size"),

            TransactionMaxTimeoutMs = values.Int("transaction.max.timeout.ms"),
            TransactionalIdExpirationMs = values.Int("transactional.id.expiration.ms"),
            TransactionStateLogNumPartitions = values.Int("transaction.state.log.num.partitions"),
            TransactionStateLogReplicationFactor = values.Short("transaction.state.log.replication.factor"),
            TransactionStateLogMinIsr = values.Int("transaction.state.log.min.isr"),
            TransactionStateLogSegmentBytes = values.Int("transaction.state.log.segment.bytes"),
            TransactionStateLogLoadBufferSize = values.Int("transaction.state.log.load.buffer.size"),
            TransactionAbortTimedOutTransactionCleanupIntervalMs = values.Int("transaction.abort.timed.out.transaction.cleanup.interval.ms"),
            TransactionRemoveExpiredTransactionCleanupIntervalMs = values.Int("transaction.remove.expired.transaction.cleanup.interval.ms"),
            ProducerIdExpirationMs = values.Int("producer.id.expiration.ms"),
            ProducerIdExpirationCheckIntervalMs = values.Int("producer.id.expiration.check.interval.ms"),
        };
    }

    private static long HoursToMs(int hours) => hours * 3_600_000L;

    /// <summary>log.retention.ms wins over .minutes, which wins over .hours; any negative result means unlimited (-1).</summary>
    private static long ResolveRetentionMs(ConfigValues values)
    {
        var ms = values.NullableLong("log.retention.ms")
            ?? (values.NullableInt("log.retention.minutes") is { } minutes
                ? minutes * 60_000L
                : HoursToMs(values.Int("log.retention.hours")));
        return ms < 0 ? -1 : ms;
    }

    private static Dictionary<string, string> ParseSecurityProtocolMap(string text)
    {
        const string Key = "listener.security.protocol.map";
        const string Expected = "expected a comma-separated list of NAME:PROTOCOL with PROTOCOL one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL";
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw ConfigException.InvalidValue(Key, text, Expected);
            }

            var name = item[..colon].Trim().ToUpperInvariant();
            var protocol = item[(colon + 1)..].Trim().ToUpperInvariant();
            if (!BrokerConfigKeys.SecurityProtocols.Contains(protocol))
            {
                throw ConfigException.InvalidValue(Key, text, $"'{protocol}' is not a security protocol; {Expected}");
            }

            if (!map.TryAdd(name, protocol))
            {
                throw ConfigException.InvalidValue(Key, text, $"listener name {name} appears twice; {Expected}");
            }
        }

        return map;
    }

    private static ListenerEndpoint[] ParseListeners(string key, IReadOnlyList<string> items, Dictionary<string, string> protocolMap)
    {
        var text = string.Join(",", items);
        var result = new ListenerEndpoint[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            if (!ListenerEndpoint.TryParse(items[i], out var endpoint, out var reason))
            {
                throw ConfigException.InvalidValue(key, text, reason);
            }

            if (!protocolMap.TryGetValue(endpoint.Name, out var protocol))
            {
                throw ConfigException.InvalidValue(
                    key,
                    text,
                    $"listener name {endpoint.Name} has no security protocol in listener.security.protocol.map; expected a name mapped to PLAINTEXT, such as PLAINTEXT");
            }

            if (protocol != "PLAINTEXT")
            {
                throw ConfigException.InvalidValue(
                    key,
                    text,
                    $"listener {endpoint.Name} uses security protocol {protocol}, which Samsa does not support yet; expected a PLAINTEXT listener");
            }

            for (var j = 0; j < i; j++)
            {
                var other = result[j];
                if (other.Name == endpoint.Name)
                {
                    throw ConfigException.InvalidValue(key, text, $"listener name {endpoint.Name} appears twice; expected each listener to have its own name");
                }

                if (key == "listeners"
                    && endpoint.Port != 0
                    && other.Port == endpoint.Port
                    && (other.Host == endpoint.Host || other.IsWildcardHost || endpoint.IsWildcardHost))
                {
                    throw ConfigException.InvalidValue(key, text, $"listeners {other.Name} and {endpoint.Name} both bind port {endpoint.Port}; expected each listener to have its own port");
                }
            }

            result[i] = endpoint;
        }

        return result;
    }

    private static string ResolveInterBrokerListener(
        ConfigValues values,
        Dictionary<string, (string Value, ConfigSource Source)> given,
        IReadOnlyList<ListenerEndpoint> advertised)
    {
        var protocol = values.String("security.inter.broker.protocol");
        var name = values.NullableString("inter.broker.listener.name")?.ToUpperInvariant();
        if (name is not null && given.ContainsKey("security.inter.broker.protocol"))
        {
            throw ConfigException.InvalidValue(
                "security.inter.broker.protocol",
                protocol,
                "expected only one of inter.broker.listener.name and security.inter.broker.protocol to be set");
        }

        if (name is null)
        {
            if (protocol != "PLAINTEXT")
            {
                throw ConfigException.InvalidValue(
                    "security.inter.broker.protocol",
                    protocol,
                    "Samsa supports only PLAINTEXT; expected PLAINTEXT");
            }

            name = protocol;
        }

        // The inter-broker listener matters only in a cluster; a single broker never connects to itself.
        if (values.NullableString("zookeeper.connect") is not null && !advertised.Any(l => l.Name == name))
        {
            throw ConfigException.InvalidValue(
                given.ContainsKey("inter.broker.listener.name") ? "inter.broker.listener.name" : "security.inter.broker.protocol",
                name,
                $"expected the name of an advertised listener ({string.Join(", ", advertised.Select(l => l.Name))})");
        }

        return name;
    }
}
