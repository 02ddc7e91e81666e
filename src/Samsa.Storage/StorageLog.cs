using Microsoft.Extensions.Logging;

namespace Samsa.Storage;

/// <summary>Source-generated log messages of the storage layer: one line per event, naming the partition.</summary>
internal static partial class StorageLog
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "Partition {TopicPartition}: recovery truncated {Bytes} bytes of torn or corrupt data at the end of {Segment} from position {Position} ({Reason}); checked {Segments} segments from offset {RecoveryPoint}, rebuilt {Indexes} indexes; log end offset is now {LogEndOffset}")]
    public static partial void RecoveredTornTail(
        ILogger logger, string topicPartition, long bytes, string segment, long position, string reason,
        int segments, long recoveryPoint, int indexes, long logEndOffset);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning,
        Message = "Partition {TopicPartition}: rebuilt the inconsistent offset index of {Segment}")]
    public static partial void RebuiltIndex(ILogger logger, string topicPartition, string segment);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error,
        Message = "Partition {TopicPartition}: segment {Segment} has unreadable data after position {Position}")]
    public static partial void DamagedSegment(ILogger logger, string topicPartition, string segment, long position);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning,
        Message = "Log dir {LogDir}: skipping {Directory}, which is not a <topic>-<partition> directory")]
    public static partial void SkippedDirectory(ILogger logger, string logDir, string directory);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information,
        Message = "Log dir {LogDir}: removed {Directory}, left over from a partition deletion")]
    public static partial void RemovedDeletedDirectory(ILogger logger, string logDir, string directory);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information,
        Message = "Log dir {LogDir}: loaded {Count} partitions after {Shutdown}")]
    public static partial void LoadedLogDir(ILogger logger, string logDir, int count, string shutdown);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information,
        Message = "Partition {TopicPartition}: deleted its log")]
    public static partial void DeletedLog(ILogger logger, string topicPartition);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error,
        Message = "Partition {TopicPartition}: closing the log failed")]
    public static partial void CloseFailed(ILogger logger, string topicPartition, Exception exception);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Information,
        Message = "Partition {TopicPartition}: recovery checked {Segments} segments from offset {RecoveryPoint} and found no damage; rebuilt {Indexes} indexes; log end offset {LogEndOffset}")]
    public static partial void RecoveredIntact(ILogger logger, string topicPartition, int segments, long recoveryPoint, int indexes, long logEndOffset);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Error,
        Message = "Partition {TopicPartition}: recovery found a corrupt batch in the middle of the log, in {Segment} at position {Position} ({Reason}), and {After}; truncated {Bytes} bytes from there and removed {SegmentsRemoved} later segments; checked {Segments} segments from offset {RecoveryPoint}, rebuilt {Indexes} indexes; log end offset is now {LogEndOffset}")]
    public static partial void RecoveredCorruptMiddle(
        ILogger logger, string topicPartition, string segment, long position, string reason, string after, long bytes,
        int segmentsRemoved, int segments, long recoveryPoint, int indexes, long logEndOffset);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information,
        Message = "Partition {TopicPartition}: deleted {Count} segments ({Bytes} bytes) {Cause}; log start offset is now {LogStartOffset}")]
    public static partial void DeletedSegments(ILogger logger, string topicPartition, int count, long bytes, string cause, long logStartOffset);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Error,
        Message = "Log dir {LogDir}: {Task} failed")]
    public static partial void BackgroundTaskFailed(ILogger logger, string logDir, string task, Exception exception);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Error,
        Message = "Log dir {LogDir}: the recovery point checkpoint is unreadable, so every segment is recovered")]
    public static partial void UnreadableRecoveryPoints(ILogger logger, string logDir, Exception exception);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning,
        Message = "Partition {TopicPartition}: deleting segment file {File} failed")]
    public static partial void SegmentFileDeleteFailed(ILogger logger, string topicPartition, string file, Exception exception);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Error,
        Message = "Log dir {LogDir} is offline after an I/O error: {Cause}. Its {Partitions} partitions answer KAFKA_STORAGE_ERROR and are not touched again until restart; {OnlineDirs} log dirs still serve")]
    public static partial void LogDirOffline(ILogger logger, string logDir, string cause, int partitions, int onlineDirs, Exception exception);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Error,
        Message = "Partition {TopicPartition}: flushing the rolled segment failed")]
    public static partial void BackgroundFlushFailed(ILogger logger, string topicPartition, Exception exception);
}
