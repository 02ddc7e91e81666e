using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Cluster;
using Samsa.Broker.Config;
using Samsa.Protocol;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Coordinator.Transaction;

/// <summary>
/// The transaction coordinator's durable state: every transactional id's <see cref="TransactionLogValue"/> kept in the
/// compacted internal topic __transaction_state (transactional id -> partition by the Java hash of the id, as Kafka), and
/// the in-memory cache of it. A value becomes current only once its record is appended and fsynced, so memory never runs
/// ahead of the log. <see cref="Load"/> rebuilds the cache at start-up from the last record per key.
/// Record formats: <see cref="TransactionLogRecords"/>.
/// Thread-safe: the cache is a concurrent dictionary; writes for one transactional id are serialized by the caller holding
/// that id's <see cref="TransactionMetadata.Gate"/>.
/// </summary>
internal sealed partial class TransactionStateManager
{
    public const string TransactionStateTopic = "__transaction_state";

    private readonly BrokerConfig _config;
    private readonly TopicManager _topics;
    private readonly ReplicaManager _replicas;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, TransactionMetadata> _transactions = new(StringComparer.Ordinal);
    private readonly Lock _topicLock = new();

    public TransactionStateManager(BrokerConfig config, TopicManager topics, ReplicaManager replicas, TimeProvider time, ILogger logger)
    {
        _config = config;
        _topics = topics;
        _replicas = replicas;
        _time = time;
        _logger = logger;
    }

    /// <summary>Every transactional id in the cache (including ids whose first write has not succeeded: Current is null).</summary>
    public ICollection<TransactionMetadata> Transactions => _transactions.Values;

    private int PartitionCount =>
        _topics.TryGetTopic(TransactionStateTopic, out var topic) ? topic.PartitionCount : _config.TransactionStateLogNumPartitions;

    /// <summary>The __transaction_state partition of a transactional id: Kafka's abs(transactionalId.hashCode()) % partitions.</summary>
    public int PartitionFor(string transactionalId)
    {
        int hash = 0;
        foreach (char c in transactionalId)
        {
            hash = unchecked((31 * hash) + c);
        }
        int positive = hash == int.MinValue ? 0 : Math.Abs(hash);
        return positive % PartitionCount;
    }

    /// <summary>The epoch markers carry as the coordinator epoch: the leader epoch of the id's __transaction_state partition.</summary>
    public int CoordinatorEpochFor(string transactionalId) =>
        _replicas.GetPartition(new TopicPartition(TransactionStateTopic, PartitionFor(transactionalId)))?.LeaderEpoch ?? 0;

    /// <summary>
    /// Creates __transaction_state on first use (compacted, transaction.state.log.num.partitions and
    /// transaction.state.log.segment.bytes), as Kafka does when the first transactional client looks for its coordinator.
    /// </summary>
    public void EnsureTransactionStateTopic()
    {
        if (_topics.TryGetTopic(TransactionStateTopic, out _))
        {
            return;
        }
        lock (_topicLock)
        {
            if (_topics.TryGetTopic(TransactionStateTopic, out _))
            {
                return;
            }
            var configs = new Dictionary<string, string>
            {
                ["cleanup.policy"] = "compact",
                ["segment.bytes"] = _config.TransactionStateLogSegmentBytes.ToString(CultureInfo.InvariantCulture),
                ["compression.type"] = "uncompressed",
            };
            _topics.CreateTopic(TransactionStateTopic, _config.TransactionStateLogNumPartitions, configs, out _);
        }
    }

    public bool TryGet(string transactionalId, out TransactionMetadata metadata) =>
        _transactions.TryGetValue(transactionalId, out metadata!);

    /// <summary>The cached entry of an id, creating an unwritten one (Current null) when there is none.</summary>
    public TransactionMetadata GetOrCreate(string transactionalId) =>
        _transactions.GetOrAdd(transactionalId, static id => new TransactionMetadata(id));

    /// <summary>
    /// Appends <paramref name="value"/> as the id's record, waits until it is on disk, then makes it current.
    /// The caller holds the id's gate. Returns the error Kafka's coordinator gives for a failed append.
    /// </summary>
    public async ValueTask<ErrorCode> WriteAsync(TransactionMetadata metadata, TransactionLogValue value)
    {
        var error = await AppendAsync(metadata.TransactionalId, TransactionLogRecords.Value(value)).ConfigureAwait(false);
        if (error == ErrorCode.None)
        {
            metadata.Current = value;
        }
        return error;
    }

    /// <summary>Writes the id's tombstone, then drops it from the cache. The caller holds the id's gate.</summary>
    public async ValueTask<ErrorCode> RemoveAsync(TransactionMetadata metadata)
    {
        var error = await AppendAsync(metadata.TransactionalId, null).ConfigureAwait(false);
        if (error == ErrorCode.None)
        {
            metadata.Removed = true;
            _transactions.TryRemove(new KeyValuePair<string, TransactionMetadata>(metadata.TransactionalId, metadata));
        }
        return error;
    }

    /// <summary>Drops an id whose first write never succeeded (nothing on disk to tombstone). The caller holds the id's gate.</summary>
    public void Forget(TransactionMetadata metadata)
    {
        metadata.Removed = true;
        _transactions.TryRemove(new KeyValuePair<string, TransactionMetadata>(metadata.TransactionalId, metadata));
    }

    private async ValueTask<ErrorCode> AppendAsync(string transactionalId, byte[]? value)
    {
        EnsureTransactionStateTopic();
        var partition = new TopicPartition(TransactionStateTopic, PartitionFor(transactionalId));
        byte[] batch;
        using (var builder = new RecordBatchBuilder())
        {
            builder.Append(_time.GetUtcNow().ToUnixTimeMilliseconds(), TransactionLogRecords.Key(transactionalId), value);
            batch = builder.ToArray();
        }
        var result = await _replicas.AppendAsCoordinatorAsync(partition, batch, waitForFlush: true).ConfigureAwait(false);
        if (result.Error != ErrorCode.None)
        {
            LogAppendFailed(_logger, transactionalId, partition.Topic, partition.Partition, result.Error);
        }
        return result.Error switch
        {
            ErrorCode.None => ErrorCode.None,
            ErrorCode.UnknownTopicOrPartition or ErrorCode.NotEnoughReplicas or ErrorCode.NotEnoughReplicasAfterAppend
                or ErrorCode.RequestTimedOut => ErrorCode.CoordinatorNotAvailable,
            ErrorCode.NotLeaderOrFollower or ErrorCode.KafkaStorageError => ErrorCode.NotCoordinator,
            _ => ErrorCode.UnknownServerError,
        };
    }

    /// <summary>Rebuilds the cache from every partition of __transaction_state (the last record per id wins; tombstones remove).</summary>
    /// <returns>How many records were read.</returns>
    public int Load()
    {
        if (!_topics.TryGetTopic(TransactionStateTopic, out var topic))
        {
            return 0;
        }
        int records = 0;
        var latest = new Dictionary<string, TransactionLogValue?>(StringComparer.Ordinal);
        for (int p = 0; p < topic.PartitionCount; p++)
        {
            var partition = _replicas.GetPartition(new TopicPartition(TransactionStateTopic, p));
            if (partition is not null)
            {
                records += ReadPartition(partition.Log, p, latest);
            }
        }
        foreach (var (id, value) in latest)
        {
            if (value is not null)
            {
                GetOrCreate(id).Current = value;
            }
        }
        LogLoaded(_logger, _transactions.Count, records);
        return records;
    }

    private int ReadPartition(PartitionLog log, int partition, Dictionary<string, TransactionLogValue?> latest)
    {
        int records = 0;
        LogBatchScanner.Scan(log, log.LogStartOffset, log.LogEndOffset, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
        {
            if (header.IsControl || header.Compression != CompressionType.None)
            {
                return true;
            }
            foreach (var record in RecordReader.FromBatch(batch))
            {
                records++;
                if (record.IsKeyNull)
                {
                    continue;
                }
                try
                {
                    string? id = TransactionLogRecords.ReadKey(record.Key);
                    if (id is null)
                    {
                        continue;
                    }
                    latest[id] = record.IsValueNull ? null : TransactionLogRecords.ReadValue(record.Value);
                }
                catch (ProtocolException e)
                {
                    LogBadRecord(_logger, partition, e.Message);
                }
            }
            return true;
        });
        return records;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Transactions} transactional ids from {Records} records of __transaction_state")]
    private static partial void LogLoaded(ILogger logger, int transactions, int records);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipping an unreadable record in __transaction_state-{Partition}: {Reason}")]
    private static partial void LogBadRecord(ILogger logger, int partition, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the state of transactional id {TransactionalId} to {Topic}-{Partition}: {Error}")]
    private static partial void LogAppendFailed(ILogger logger, string transactionalId, string topic, int partition, ErrorCode error);
}
