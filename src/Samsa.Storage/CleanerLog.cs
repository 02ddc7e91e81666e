using Microsoft.Extensions.Logging;

namespace Samsa.Storage;

/// <summary>Source-generated log messages of the log cleaner: one line per event, naming the partition.</summary>
internal static partial class CleanerLog
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Information,
        Message = "Partition {TopicPartition}: cleaned offsets {FirstOffset}..{EndOffset} (dirty ratio {DirtyRatio:F2}): {BytesRead} bytes read, {BytesWritten} written, {RecordsRemoved} records removed in {ElapsedMs} ms")]
    public static partial void Cleaned(ILogger logger, string topicPartition, long firstOffset, long endOffset, double dirtyRatio, long bytesRead, long bytesWritten, long recordsRemoved, long elapsedMs);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "Partition {TopicPartition}: completed an interrupted segment swap at base offset {BaseOffset} (up to offset {NextOffset}), replacing {Replaced} segments")]
    public static partial void CompletedSwap(ILogger logger, string topicPartition, long baseOffset, long nextOffset, int replaced);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error,
        Message = "Partition {TopicPartition}: the cleaner cannot clean this log and skips it until restart")]
    public static partial void MarkedUncleanable(ILogger logger, string topicPartition, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information,
        Message = "Partition {TopicPartition}: cleaning stopped because the log changed or closed meanwhile")]
    public static partial void CleaningAborted(ILogger logger, string topicPartition);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Warning,
        Message = "Log dir {LogDir}: ignoring unreadable cleaner checkpoint file {Path}")]
    public static partial void BadCheckpointFile(ILogger logger, string logDir, string path, Exception exception);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Information,
        Message = "Log cleaner started with {Threads} threads")]
    public static partial void Started(ILogger logger, int threads);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Error,
        Message = "Log dir {LogDir}: writing the cleaner checkpoint file failed")]
    public static partial void CheckpointWriteFailed(ILogger logger, string logDir, Exception exception);
}
