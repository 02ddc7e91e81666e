using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// The log of one partition: an ordered set of <see cref="LogSegment"/>s in the directory
/// <c>&lt;topic&gt;-&lt;partition&gt;</c>, with the log start offset, the log end offset (the next offset to assign)
/// and the high watermark (the end of what consumers may read; the broker advances it).
/// <para>
/// On disk the directory holds only segment files (<c>&lt;baseOffset:D20&gt;.log</c> and <c>.index</c>); segments
/// cover consecutive offset ranges and the newest one (the highest base offset) is the active segment, the only one
/// appended to. Opening the log recovers the active segment (see <see cref="LogSegment.Recover"/>) unless the caller
/// knows the previous shutdown was clean, and restores the log end offset from it. Older segments were fsynced when
/// they rolled; their indexes are checked and rebuilt if inconsistent.
/// </para>
/// <para>
/// Thread-safety: writers (<see cref="Append"/>, <see cref="UpdateHighWatermark"/>, <see cref="TruncateTo"/>,
/// <see cref="Dispose"/>) are serialized by a lock. <see cref="Read"/> takes no lock and runs concurrently with
/// appends: it works from immutable snapshots (the segment array and the log-end and high-watermark positions,
/// each published after the bytes they cover are written), so it sees only fully written batches. A read that races
/// with <see cref="TruncateTo"/> or <see cref="Dispose"/> may fail with an I/O or ObjectDisposed exception.
/// </para>
/// </summary>
public sealed class PartitionLog : IDisposable
{
    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private LogSegment[] _segments;
    private LogOffsetMetadata _logEnd;
    private LogOffsetMetadata _highWatermark;
    private long _logStartOffset;
    private long _unflushedRecords;
    private long _lastFlushTimestamp;
    private bool _closed;

    private PartitionLog(
        string directory,
        TopicPartition topicPartition,
        LogConfig config,
        LogSegment[] segments,
        ILogger logger,
        TimeProvider time)
    {
        Directory = directory;
        TopicPartition = topicPartition;
        Config = config;
        _segments = segments;
        _logger = logger;
        _time = time;
        LogSegment active = segments[^1];
        _logEnd = new LogOffsetMetadata(active.NextOffset, active, active.Size);
        _highWatermark = _logEnd;
        _logStartOffset = segments[0].BaseOffset;
        _lastFlushTimestamp = time.GetTimestamp();
    }

    public string Directory { get; }

    public TopicPartition TopicPartition { get; }

    public LogConfig Config { get; }

    /// <summary>The first offset the log still holds.</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>The offset the next appended record receives (LEO).</summary>
    public long LogEndOffset => Volatile.Read(ref _logEnd).Offset;

    /// <summary>Consumers read below this offset. Starts at the log end offset; the broker moves it.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark).Offset;

    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>A snapshot of the segments, oldest first.</summary>
    public IReadOnlyList<LogSegment> Segments => Array.AsReadOnly(Volatile.Read(ref _segments));

    /// <summary>Records appended since the last flush.</summary>
    internal long UnflushedRecords
    {
        get
        {
            lock (_lock)
            {
                return _unflushedRecords;
            }
        }
    }

    /// <summary>Bytes of all segments.</summary>
    public long Size
    {
        get
        {
            long total = 0;
            foreach (LogSegment segment in Volatile.Read(ref _segments))
            {
                total += segment.Size;
            }

            return total;
        }
    }

    /// <summary>
    /// Opens (creating if needed) the log in <paramref name="directory"/>. Unless <paramref name="hadCleanShutdown"/>,
    /// the active segment is recovered: a torn or corrupt tail is cut off and logged.
    /// </summary>
    public static PartitionLog Open(
        string directory,
        TopicPartition topicPartition,
        LogConfig config,
        bool hadCleanShutdown = false,
        ILogger? logger = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        logger ??= NullLogger.Instance;
        timeProvider ??= TimeProvider.System;
        System.IO.Directory.CreateDirectory(directory);
        SegmentSwap.RecoverInterruptedSwaps(directory, topicPartition.ToString(), logger);

        var baseOffsets = new List<long>();
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*" + LogSegment.LogFileSuffix))
        {
            if (LogSegment.TryParseFileName(Path.GetFileName(path), LogSegment.LogFileSuffix, out long baseOffset))
            {
                baseOffsets.Add(baseOffset);
            }
        }

        baseOffsets.Sort();
        DeleteOrphanIndexes(directory, baseOffsets);

        var segments = new List<LogSegment>(Math.Max(1, baseOffsets.Count));
        try
        {
            string name = topicPartition.ToString();
            for (int i = 0; i < baseOffsets.Count; i++)
            {
                bool indexMissing = !File.Exists(Path.Combine(directory, LogSegment.FileName(baseOffsets[i], OffsetIndex.FileSuffix)));
                LogSegment segment = LogSegment.Open(directory, baseOffsets[i], config);
                segments.Add(segment);
                if (i < baseOffsets.Count - 1 && (indexMissing || !segment.Index.IsConsistentWith(segment.Size)))
                {
                    long validEnd = segment.RebuildIndex();
                    segment.OnBecomeInactive();
                    StorageLog.RebuiltIndex(logger, name, segment.LogPath);
                    if (validEnd < segment.Size)
                    {
                        StorageLog.DamagedSegment(logger, name, segment.LogPath, validEnd);
                    }
                }
            }

            if (segments.Count == 0)
            {
                segments.Add(LogSegment.Create(directory, 0, config));
            }

            LogSegment active = segments[^1];
            if (!hadCleanShutdown || !active.TryLoadTail())
            {
                long truncated = active.Recover();
                if (truncated > 0)
                {
                    StorageLog.TruncatedTail(logger, name, truncated, active.LogPath, active.NextOffset);
                }
            }

            return new PartitionLog(directory, topicPartition, config, [.. segments], logger, timeProvider);
        }
        catch
        {
            foreach (LogSegment segment in segments)
            {
                segment.Dispose();
            }

            throw;
        }
    }

    /// <summary>
    /// Appends batches that passed validation: assigns offsets from the log end offset, stamps each batch's
    /// BaseOffset and PartitionLeaderEpoch in place (outside the CRC), rolls the active segment when the append
    /// would take it past <see cref="LogConfig.SegmentBytes"/> or its index is full, writes, publishes the new log end
    /// and flushes when <see cref="LogConfig.FlushIntervalMessages"/> or <see cref="LogConfig.FlushIntervalMs"/> says so.
    /// </summary>
    public LogAppendResult Append(Span<byte> validatedRecords, int leaderEpoch)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            long firstOffset = _logEnd.Offset;
            long nextOffset = firstOffset;
            int recordCount = 0;
            int position = 0;
            while (position < validatedRecords.Length)
            {
                Span<byte> batch = validatedRecords[position..];
                if (!RecordBatchHeader.TryRead(batch, out RecordBatchHeader header)
                    || header.BatchLength < RecordBatchHeader.MinBatchLength
                    || header.TotalSize > batch.Length
                    || header.LastOffsetDelta < 0)
                {
                    throw new ArgumentException("The records are not whole, valid record batches.", nameof(validatedRecords));
                }

                RecordBatch.SetBaseOffset(batch, nextOffset);
                RecordBatch.SetPartitionLeaderEpoch(batch, leaderEpoch);
                nextOffset += header.LastOffsetDelta + 1L;
                recordCount += header.RecordsCount;
                position += (int)header.TotalSize;
            }

            if (position == 0)
            {
                return new LogAppendResult(firstOffset, firstOffset - 1, 0, _logStartOffset);
            }

            long lastOffset = nextOffset - 1;
            LogSegment segment = _logEnd.Segment;
            if (segment.Size > 0
                && (segment.Size + validatedRecords.Length > Config.SegmentBytes
                    || segment.Index.IsFull
                    || lastOffset - segment.BaseOffset > int.MaxValue))
            {
                segment = Roll();
            }

            segment.Append(firstOffset, lastOffset, validatedRecords);
            Volatile.Write(ref _logEnd, new LogOffsetMetadata(nextOffset, segment, segment.Size));

            _unflushedRecords += recordCount;
            if (_unflushedRecords >= Config.FlushIntervalMessages
                || _time.GetElapsedTime(_lastFlushTimestamp).TotalMilliseconds >= Config.FlushIntervalMs)
            {
                segment.Flush();
                _unflushedRecords = 0;
                _lastFlushTimestamp = _time.GetTimestamp();
            }

            return new LogAppendResult(firstOffset, lastOffset, recordCount, _logStartOffset);
        }
    }

    /// <summary>
    /// Reads whole batches from one segment starting at the batch that holds <paramref name="fetchOffset"/>:
    /// up to <paramref name="maxBytes"/> (at least one batch when <paramref name="minOneBatch"/>), none holding an
    /// offset at or above <paramref name="maxOffsetExclusive"/> (usually the high watermark). A fetch at or past that
    /// limit (but not past the log end) returns no records and no error; a fetch outside
    /// [LogStartOffset, LogEndOffset] returns OffsetOutOfRange.
    /// </summary>
    public LogReadResult Read(long fetchOffset, int maxBytes, bool minOneBatch, long maxOffsetExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        LogOffsetMetadata end = Volatile.Read(ref _logEnd);
        LogOffsetMetadata highWatermark = Volatile.Read(ref _highWatermark);
        LogSegment[] segments = Volatile.Read(ref _segments);
        long logStartOffset = Volatile.Read(ref _logStartOffset);

        if (fetchOffset < logStartOffset || fetchOffset > end.Offset)
        {
            return new LogReadResult(ErrorCode.OffsetOutOfRange, default, highWatermark.Offset, logStartOffset, end.Offset);
        }

        var empty = new LogReadResult(ErrorCode.None, default, highWatermark.Offset, logStartOffset, end.Offset);
        long limitOffset = Math.Min(maxOffsetExclusive, end.Offset);
        if (fetchOffset >= limitOffset)
        {
            return empty;
        }

        LogOffsetMetadata? limit = maxOffsetExclusive >= end.Offset ? end
            : maxOffsetExclusive == highWatermark.Offset ? highWatermark
            : null;

        long startOffset = fetchOffset;
        for (int i = FloorSegment(segments, fetchOffset); i < segments.Length; i++)
        {
            LogSegment segment = segments[i];
            if (segment.BaseOffset >= limitOffset)
            {
                break;
            }

            long segmentEnd = ReferenceEquals(segment, end.Segment) ? end.Position : segment.Size;
            long maxPosition = MaxPosition(segments, i, segmentEnd, limitOffset, limit);
            FileSlice? slice = segment.Read(startOffset, maxBytes, maxPosition, minOneBatch);
            if (slice is { } records)
            {
                return new LogReadResult(ErrorCode.None, records, highWatermark.Offset, logStartOffset, end.Offset);
            }

            if (i + 1 < segments.Length)
            {
                startOffset = Math.Max(startOffset, segments[i + 1].BaseOffset);
            }
        }

        return empty;
    }

    /// <summary>
    /// Sets the high watermark, clamped to [LogStartOffset, LogEndOffset], and returns the value set.
    /// </summary>
    public long UpdateHighWatermark(long highWatermark)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            LogOffsetMetadata end = _logEnd;
            highWatermark = Math.Clamp(highWatermark, _logStartOffset, end.Offset);
            if (highWatermark == end.Offset)
            {
                Volatile.Write(ref _highWatermark, end);
            }
            else if (highWatermark != _highWatermark.Offset)
            {
                Volatile.Write(ref _highWatermark, Locate(highWatermark));
            }

            return highWatermark;
        }
    }

    /// <summary>
    /// Removes every record at or above <paramref name="offset"/> (a batch that straddles it goes entirely), for a
    /// follower that diverged from its leader. Below the log start offset the whole log is replaced by an empty one
    /// starting at <paramref name="offset"/>. The high watermark drops to the new log end if it was above it.
    /// </summary>
    public void TruncateTo(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            if (offset >= _logEnd.Offset)
            {
                return;
            }

            LogSegment[] segments = _segments;
            if (offset < _logStartOffset)
            {
                foreach (LogSegment old in segments)
                {
                    old.Delete();
                }

                LogSegment fresh = LogSegment.Create(Directory, offset, Config);
                Volatile.Write(ref _segments, [fresh]);
                Volatile.Write(ref _logStartOffset, offset);
                Volatile.Write(ref _logEnd, new LogOffsetMetadata(offset, fresh, 0));
                Volatile.Write(ref _highWatermark, _logEnd);
                return;
            }

            int keep = FloorSegment(segments, offset) + 1;
            for (int i = segments.Length - 1; i >= keep; i--)
            {
                segments[i].Delete();
            }

            LogSegment active = segments[keep - 1];
            active.TruncateTo(offset);
            if (keep < segments.Length)
            {
                Volatile.Write(ref _segments, segments[..keep]);
            }

            var end = new LogOffsetMetadata(active.NextOffset, active, active.Size);
            Volatile.Write(ref _logEnd, end);
            long highWatermark = Math.Min(_highWatermark.Offset, end.Offset);
            Volatile.Write(ref _highWatermark, highWatermark == end.Offset ? end : Locate(highWatermark));
        }
    }

    /// <summary>Writes the active segment to disk (fsync). Older segments were flushed when they rolled.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            _logEnd.Segment.Flush();
            _unflushedRecords = 0;
            _lastFlushTimestamp = _time.GetTimestamp();
        }
    }

    /// <summary>Flushes and closes every segment.</summary>
    public void Dispose() => Close(flush: true);

    /// <summary>Closes the segments without flushing, before the directory is deleted.</summary>
    internal void CloseForDeletion() => Close(flush: false);

    private void Close(bool flush)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            Exception? failure = null;
            if (flush)
            {
                try
                {
                    _logEnd.Segment.Flush();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    failure = ex;
                }
            }

            foreach (LogSegment segment in _segments)
            {
                try
                {
                    segment.Dispose();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    failure ??= ex;
                }
            }

            if (failure is not null)
            {
                throw new IOException($"Closing the log of {TopicPartition} failed.", failure);
            }
        }
    }

    /// <summary>
    /// Swaps the cleaned segment whose files wait as <c>&lt;base&gt;.*.swap</c> in for <paramref name="oldSegments"/>
    /// (consecutive, not the active one, the first with base offset <paramref name="replacementBaseOffset"/>): renames
    /// the old files to <c>.deleted</c>, the swap files to live names, opens the new segment and publishes the new
    /// segment array, then removes the old segments. Returns false, changing nothing, when the log is closed or no
    /// longer holds exactly those segments (retention or truncation got there first). The protocol and its crash
    /// recovery are described in <see cref="LogCleaner"/>.
    /// A reader that still holds an old segment keeps reading it until the segment is removed.
    /// </summary>
    internal bool ReplaceSegments(IReadOnlyList<LogSegment> oldSegments, long replacementBaseOffset)
    {
        ArgumentNullException.ThrowIfNull(oldSegments);
        if (oldSegments.Count == 0 || oldSegments[0].BaseOffset != replacementBaseOffset)
        {
            throw new ArgumentException("The replacement must start where the first old segment starts.", nameof(oldSegments));
        }

        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            LogSegment[] segments = _segments;
            int first = Array.IndexOf(segments, oldSegments[0]);
            if (first < 0 || first + oldSegments.Count >= segments.Length)
            {
                return false;
            }

            for (int i = 1; i < oldSegments.Count; i++)
            {
                if (!ReferenceEquals(segments[first + i], oldSegments[i]))
                {
                    return false;
                }
            }

            foreach (LogSegment old in oldSegments)
            {
                SegmentSwap.RenameLiveToDeleted(Directory, old.BaseOffset);
            }

            SegmentSwap.RenameSwapToLive(Directory, replacementBaseOffset);
            LogSegment replacement = LogSegment.Open(Directory, replacementBaseOffset, Config);
            var updated = new LogSegment[segments.Length - oldSegments.Count + 1];
            Array.Copy(segments, updated, first);
            updated[first] = replacement;
            Array.Copy(segments, first + oldSegments.Count, updated, first + 1, segments.Length - first - oldSegments.Count);

            // The high watermark is published first: a reader pairing it with the old array reads less, never more.
            LogOffsetMetadata highWatermark = _highWatermark;
            bool relocate = false;
            foreach (LogSegment old in oldSegments)
            {
                relocate |= ReferenceEquals(highWatermark.Segment, old);
            }

            if (relocate)
            {
                long position = replacement.FindBatchPosition(highWatermark.Offset, replacement.Size);
                Volatile.Write(ref _highWatermark, new LogOffsetMetadata(highWatermark.Offset, replacement, position));
            }

            Volatile.Write(ref _segments, updated);
            DeleteReplacedSegments(oldSegments);
            SegmentSwap.Completed(Directory, "removed the replaced segments");
            return true;
        }
    }

    /// <summary>
    /// Removes segments replaced by <see cref="ReplaceSegments"/>, whose files were renamed to <c>.deleted</c>.
    /// Stands in for the shared deferred deletion (files removed after <c>file.delete.delay.ms</c>): until then they
    /// go at once, and a read racing with the swap may fail as it does with <see cref="TruncateTo"/>.
    /// </summary>
    private void DeleteReplacedSegments(IReadOnlyList<LogSegment> replaced)
    {
        foreach (LogSegment segment in replaced)
        {
            segment.Dispose();
            SegmentSwap.DeleteFiles(Directory, segment.BaseOffset, SegmentSwap.DeletedSuffix);
        }
    }

    /// <summary>Closes the active segment (fsync, trimmed index) and starts a new one at the log end offset.</summary>
    private LogSegment Roll()
    {
        LogOffsetMetadata end = _logEnd;
        LogSegment old = end.Segment;
        old.Flush();
        old.OnBecomeInactive();
        LogSegment segment = LogSegment.Create(Directory, end.Offset, Config);
        LogSegment[] segments = _segments;
        var rolled = new LogSegment[segments.Length + 1];
        segments.CopyTo(rolled, 0);
        rolled[^1] = segment;
        Volatile.Write(ref _segments, rolled);
        Volatile.Write(ref _logEnd, new LogOffsetMetadata(end.Offset, segment, 0));
        return segment;
    }

    /// <summary>The segment and batch-boundary position of <paramref name="offset"/> (below the log end). Caller holds the lock.</summary>
    private LogOffsetMetadata Locate(long offset)
    {
        LogSegment[] segments = _segments;
        LogSegment segment = segments[FloorSegment(segments, offset)];
        long segmentEnd = ReferenceEquals(segment, _logEnd.Segment) ? _logEnd.Position : segment.Size;
        return new LogOffsetMetadata(offset, segment, segment.FindBatchPosition(offset, segmentEnd));
    }

    /// <summary>The position in segment <paramref name="index"/> below which every batch ends before <paramref name="limitOffset"/>.</summary>
    private static long MaxPosition(LogSegment[] segments, int index, long segmentEnd, long limitOffset, LogOffsetMetadata? limit)
    {
        LogSegment segment = segments[index];
        if (limit is not null)
        {
            if (ReferenceEquals(segment, limit.Segment))
            {
                return limit.Position;
            }

            return segment.BaseOffset < limit.Segment.BaseOffset ? segmentEnd : 0;
        }

        if (index + 1 < segments.Length && segments[index + 1].BaseOffset <= limitOffset)
        {
            return segmentEnd;
        }

        return segment.FindBatchPosition(limitOffset, segmentEnd);
    }

    /// <summary>The index of the last segment whose base offset is at or below <paramref name="offset"/> (0 if none).</summary>
    private static int FloorSegment(LogSegment[] segments, long offset)
    {
        int low = 0;
        int high = segments.Length - 1;
        int found = 0;
        while (low <= high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (segments[mid].BaseOffset <= offset)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }

        return found;
    }

    private static void DeleteOrphanIndexes(string directory, List<long> logBaseOffsets)
    {
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*" + OffsetIndex.FileSuffix))
        {
            if (LogSegment.TryParseFileName(Path.GetFileName(path), OffsetIndex.FileSuffix, out long baseOffset)
                && logBaseOffsets.BinarySearch(baseOffset) < 0)
            {
                File.Delete(path);
            }
        }
    }
}
