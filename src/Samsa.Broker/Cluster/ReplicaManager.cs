using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Broker.Config;
using Samsa.Broker.Purgatory;
using Samsa.Storage;

namespace Samsa.Broker.Cluster;

/// <summary>
/// The partitions hosted here, the append/read paths the Produce and Fetch handlers use, and the fetch purgatory where
/// fetches wait for fetch.min.bytes: every successful append (and a partition's deletion) re-checks the fetches
/// watching that partition. With group commit on (<see cref="LogManager.GroupCommit"/>), <see cref="AppendRecordsAsync"/>
/// completes once the appended records are on disk. An I/O error on append takes the partition's log dir offline
/// (<see cref="LogManager.MarkLogDirOffline"/>); its partitions then answer KAFKA_STORAGE_ERROR.
/// Thread-safe: each partition log serializes its own appends.
/// </summary>
internal sealed partial class ReplicaManager : IDisposable
{
    private readonly LogManager _logManager;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<TopicPartition, Partition> _partitions = new();

    /// <param name="fetchPurgeInterval">fetch.purgatory.purge.interval.requests.</param>
    public ReplicaManager(LogManager logManager, ILogger logger, TimeProvider? time = null, int fetchPurgeInterval = 1000)
    {
        _logManager = logManager;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        FetchPurgatory = new DelayedOperationPurgatory<DelayedFetch>("Fetch", new SystemTimer(_time), fetchPurgeInterval);
    }

    /// <summary>Fetches waiting for fetch.min.bytes or max.wait.ms, keyed by partition.</summary>
    public DelayedOperationPurgatory<DelayedFetch> FetchPurgatory { get; }

    public Partition? GetPartition(TopicPartition topicPartition) =>
        _partitions.TryGetValue(topicPartition, out var partition) ? partition : null;

    /// <summary>Opens (or creates) the log of a partition this broker leads, with its topic's effective settings.</summary>
    public Partition CreatePartition(TopicPartition topicPartition, LogConfig logConfig, EffectiveTopicConfig topicConfig)
    {
        return _partitions.GetOrAdd(topicPartition, tp =>
        {
            var log = _logManager.GetOrCreateLog(tp, logConfig);
            // Single broker: everything in the log is committed.
            log.UpdateHighWatermark(log.LogEndOffset);
            return new Partition(tp, log, topicConfig);
        });
    }

    public void DeletePartition(TopicPartition topicPartition)
    {
        if (_partitions.TryRemove(topicPartition, out _))
        {
            FetchPurgatory.CheckAndComplete(topicPartition);
        }
        _logManager.DeleteLog(topicPartition);
    }

    /// <summary>
    /// Validates and appends the records of one partition of a Produce request (<see cref="LogValidator"/>: the
    /// topic's timestamp, key and compression settings). The batch is stored as received, stamped in place (base
    /// offset, leader epoch, log-append time), unless the topic's compression.type calls for recompression.
    /// </summary>
    public PartitionAppendResult AppendRecords(TopicPartition topicPartition, ReadOnlyMemory<byte>? records,
        short produceVersion = LogValidator.AnyProduceVersion) =>
        Append(topicPartition, records, produceVersion, AppendOrigin.Client, out _, out _);

    /// <summary>
    /// <see cref="AppendRecords"/>, then, when group commit is on and <paramref name="waitForFlush"/> (acks=1 or all),
    /// waits until the appended records are fsynced; a failed sync answers KAFKA_STORAGE_ERROR. Completes synchronously
    /// (no allocation) unless it has to wait for the flusher.
    /// </summary>
    public ValueTask<PartitionAppendResult> AppendRecordsAsync(TopicPartition topicPartition, ReadOnlyMemory<byte>? records,
        short produceVersion, bool waitForFlush) =>
        AppendAndWait(topicPartition, records, produceVersion, AppendOrigin.Client, waitForFlush);

    /// <summary>
    /// Appends records the broker built itself (a coordinator's records, transaction markers): no produce validation
    /// (control batches and batches without sequences are legal here), but the producer-state checks still apply.
    /// Waits for the flush like <see cref="AppendRecordsAsync"/>.
    /// </summary>
    public ValueTask<PartitionAppendResult> AppendAsCoordinatorAsync(TopicPartition topicPartition, byte[] records, bool waitForFlush) =>
        AppendAndWait(topicPartition, records, LogValidator.AnyProduceVersion, AppendOrigin.Coordinator, waitForFlush);

    private ValueTask<PartitionAppendResult> AppendAndWait(TopicPartition topicPartition, ReadOnlyMemory<byte>? records,
        short produceVersion, AppendOrigin origin, bool waitForFlush)
    {
        var result = Append(topicPartition, records, produceVersion, origin, out var log, out long endOffset);
        var flusher = _logManager.GroupCommit;
        if (!waitForFlush || flusher is null || log is null || result.Error != ErrorCode.None)
        {
            return new ValueTask<PartitionAppendResult>(result);
        }
        var flushed = flusher.WaitForFlushAsync(log, endOffset);
        if (flushed.IsCompletedSuccessfully)
        {
            return new ValueTask<PartitionAppendResult>(flushed.Result ? result : StorageError(log));
        }
        return AwaitFlushAsync(flushed, result, log);
    }

    private static async ValueTask<PartitionAppendResult> AwaitFlushAsync(ValueTask<bool> flushed, PartitionAppendResult result, PartitionLog log) =>
        await flushed.ConfigureAwait(false) ? result : StorageError(log);

    private static PartitionAppendResult StorageError(PartitionLog log) =>
        new(ErrorCode.KafkaStorageError, -1, log.LogStartOffset);

    /// <summary>Validates and appends; <paramref name="log"/> and <paramref name="endOffset"/> (the log end the append reached) are set on success.</summary>
    private PartitionAppendResult Append(TopicPartition topicPartition, ReadOnlyMemory<byte>? records, short produceVersion,
        AppendOrigin origin, out PartitionLog? log, out long endOffset)
    {
        log = null;
        endOffset = -1;
        var partition = GetPartition(topicPartition);
        if (partition is null)
        {
            return new PartitionAppendResult(ErrorCode.UnknownTopicOrPartition, -1, -1);
        }
        if (partition.Log.IsOffline)
        {
            // The log dir failed: answer without touching the disk.
            return StorageError(partition.Log);
        }
        if (records is null || records.Value.Length == 0)
        {
            return new PartitionAppendResult(ErrorCode.CorruptMessage, -1, partition.Log.LogStartOffset);
        }
        if (records.Value.Length > partition.MaxMessageBytes)
        {
            return new PartitionAppendResult(ErrorCode.MessageTooLarge, -1, partition.Log.LogStartOffset);
        }
        // The request buffer belongs to this request alone, so the validator may stamp it in place.
        using var validated = origin == AppendOrigin.Client
            ? LogValidator.Validate(records.Value, partition.TopicConfig, _time.GetUtcNow().ToUnixTimeMilliseconds(), produceVersion)
            : new LogValidationResult(ErrorCode.None, null, System.Runtime.InteropServices.MemoryMarshal.AsMemory(records.Value), null, -1, 0);
        if (validated.Error != ErrorCode.None)
        {
            LogRejectedBatch(_logger, topicPartition.Topic, topicPartition.Partition, validated.Error, validated.Reason ?? string.Empty);
            return new PartitionAppendResult(validated.Error, -1, partition.Log.LogStartOffset);
        }
        LogAppendResult appended;
        try
        {
            appended = partition.Log.Append(validated.Records.Span, partition.LeaderEpoch, origin);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The log manager takes the log dir offline and logs one line naming it and the cause.
            _logManager.HandleLogFailure(partition.Log, e);
            return StorageError(partition.Log);
        }
        if (appended.Error != ErrorCode.None)
        {
            LogRejectedBatch(_logger, topicPartition.Topic, topicPartition.Partition, appended.Error, "the producer state refused it");
            return new PartitionAppendResult(appended.Error, -1, partition.Log.LogStartOffset);
        }
        log = partition.Log;
        endOffset = appended.LastOffset + 1;
        if (appended.IsDuplicate)
        {
            // A producer's retry of a batch already written: its original offsets, once those are on disk.
            return new PartitionAppendResult(ErrorCode.None, appended.FirstOffset, partition.Log.LogStartOffset);
        }
        partition.Log.UpdateHighWatermark(partition.Log.LogEndOffset);
        FetchPurgatory.CheckAndComplete(topicPartition);
        return new PartitionAppendResult(ErrorCode.None, appended.FirstOffset, partition.Log.LogStartOffset, validated.LogAppendTime);
    }

    public void FlushAll() => _logManager.FlushAll();

    /// <summary>Answers every waiting fetch now and any later one at once (broker shutdown, before connections close).</summary>
    public void CompleteDelayedRequests() => FetchPurgatory.Shutdown();

    /// <summary>Completes the waiting fetches and stops the purgatory's timer.</summary>
    public void Dispose() => FetchPurgatory.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Rejected a produce to {Topic}-{Partition}: {Error}: {Reason}")]
    private static partial void LogRejectedBatch(ILogger logger, string topic, int partition, ErrorCode error, string reason);
}

/// <summary>The outcome of one partition's append; <paramref name="LogAppendTime"/> is -1 unless the topic uses LogAppendTime.</summary>
internal readonly record struct PartitionAppendResult(ErrorCode Error, long BaseOffset, long LogStartOffset, long LogAppendTime = -1);
