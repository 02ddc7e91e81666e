using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// The partitions hosted here and the append/read paths the Produce and Fetch handlers use.
/// Thread-safe: each partition log serializes its own appends.
/// </summary>
internal sealed partial class ReplicaManager
{
    private readonly LogManager _logManager;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<TopicPartition, Partition> _partitions = new();

    public ReplicaManager(LogManager logManager, ILogger logger)
    {
        _logManager = logManager;
        _logger = logger;
    }

    public Partition? GetPartition(TopicPartition topicPartition) =>
        _partitions.TryGetValue(topicPartition, out var partition) ? partition : null;

    /// <summary>Opens (or creates) the log of a partition this broker leads.</summary>
    public Partition CreatePartition(TopicPartition topicPartition, LogConfig logConfig, int maxMessageBytes)
    {
        return _partitions.GetOrAdd(topicPartition, tp =>
        {
            var log = _logManager.GetOrCreateLog(tp, logConfig);
            // Single broker: everything in the log is committed.
            log.UpdateHighWatermark(log.LogEndOffset);
            return new Partition(tp, log, maxMessageBytes);
        });
    }

    public void DeletePartition(TopicPartition topicPartition)
    {
        if (_partitions.TryRemove(topicPartition, out var partition))
        {
            partition.SignalDataArrived();
        }
        _logManager.DeleteLog(topicPartition);
    }

    /// <summary>
    /// Validates and appends the records of one partition of a Produce request. The batches are
    /// stamped in place (base offset, leader epoch) and stored as received.
    /// </summary>
    public PartitionAppendResult AppendRecords(TopicPartition topicPartition, ReadOnlyMemory<byte>? records)
    {
        var partition = GetPartition(topicPartition);
        if (partition is null)
        {
            return new PartitionAppendResult(ErrorCode.UnknownTopicOrPartition, -1, -1);
        }
        if (records is null || records.Value.Length == 0)
        {
            return new PartitionAppendResult(ErrorCode.CorruptMessage, -1, partition.Log.LogStartOffset);
        }
        if (records.Value.Length > partition.MaxMessageBytes)
        {
            return new PartitionAppendResult(ErrorCode.MessageTooLarge, -1, partition.Log.LogStartOffset);
        }
        var error = BatchValidator.ValidateProduceRecords(records.Value.Span, out _, out _);
        if (error != ErrorCode.None)
        {
            LogRejectedBatch(_logger, topicPartition.Topic, topicPartition.Partition, error);
            return new PartitionAppendResult(error, -1, partition.Log.LogStartOffset);
        }
        // The request buffer belongs to this request alone, so stamping offsets into it is safe.
        var writable = MemoryMarshal.AsMemory(records.Value);
        LogAppendResult appended;
        try
        {
            appended = partition.Log.Append(writable.Span, partition.LeaderEpoch);
        }
        catch (IOException e)
        {
            LogAppendFailed(_logger, topicPartition.Topic, topicPartition.Partition, e.Message);
            return new PartitionAppendResult(ErrorCode.KafkaStorageError, -1, partition.Log.LogStartOffset);
        }
        partition.Log.UpdateHighWatermark(partition.Log.LogEndOffset);
        partition.SignalDataArrived();
        return new PartitionAppendResult(ErrorCode.None, appended.FirstOffset, partition.Log.LogStartOffset);
    }

    public void FlushAll() => _logManager.FlushAll();

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected a produce to {Topic}-{Partition}: {Error}")]
    private static partial void LogRejectedBatch(ILogger logger, string topic, int partition, ErrorCode error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Append to {Topic}-{Partition} failed (KAFKA_STORAGE_ERROR): {Reason}")]
    private static partial void LogAppendFailed(ILogger logger, string topic, int partition, string reason);
}

internal readonly record struct PartitionAppendResult(ErrorCode Error, long BaseOffset, long LogStartOffset);
