using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// The log of one partition: an ordered set of <see cref="LogSegment"/>s in the directory
/// <c>&lt;topic&gt;-&lt;partition&gt;</c>, with the log start offset (the first offset readable; retention and
/// DeleteRecords move it), the recovery point (the offset below which the log is known to be on disk), the log end
/// offset (the next offset to assign) and the high watermark (the end of what consumers may read; the broker advances it).
/// <para>
/// On disk the directory holds segment files (<c>&lt;baseOffset:D20&gt;.log</c>, <c>.index</c> and
/// <c>.timeindex</c>); segments cover consecutive offset ranges and the newest one (the highest base offset) is the
/// active segment, the only one appended to. A segment being deleted has its files renamed to <c>&lt;name&gt;.deleted</c>
/// and removed <see cref="LogConfig.FileDeleteDelayMs"/> later (see <see cref="DeleteDueSegmentFiles"/>); any found when
/// the log opens are removed. The log start offset and recovery point live in the log dir's checkpoint files
/// (<see cref="OffsetCheckpointFile"/>, written by <see cref="LogManager"/>).
/// </para>
/// <para>
/// Opening after an unclean shutdown recovers every segment that may hold offsets at or above the recovery point
/// (CRC, lengths, offset order; see <see cref="LogSegment.Recover"/>): a damaged segment is cut back to its last good
/// batch, every later segment is removed, and one log line per partition says what was done. Segments below the
/// recovery point were fsynced; only their indexes are checked and rebuilt if missing or inconsistent.
/// </para>
/// <para>
/// The active segment rolls when an append would take it past <see cref="LogConfig.SegmentBytes"/>, when one of its
/// indexes is full, and by age as Kafka does: when the appended batches' largest timestamp is more than
/// <see cref="LogConfig.SegmentMs"/> minus this log's jitter (drawn once in [0, <see cref="LogConfig.SegmentJitterMs"/>)
/// at open) after the MaxTimestamp of the segment's first batch, or, when that batch has no timestamp, when that long has
/// passed on the clock since the segment became active.
/// </para>
/// <para>
/// Thread-safety: writers (<see cref="Append"/>, <see cref="UpdateHighWatermark"/>, <see cref="TruncateTo"/>,
/// <see cref="DeleteRecordsBefore"/>, <see cref="DeleteOldSegments"/>, <see cref="Flush"/>, <see cref="Dispose"/>)
/// are serialized by a lock. <see cref="Read"/> (and the lookups by timestamp, <see cref="FetchOffsetByTimestamp"/> and
/// <see cref="FetchOffsetOfMaxTimestamp"/>) take no lock and run concurrently with appends: they work from immutable
/// snapshots (the segment array and the log-end and high-watermark positions, each published after the bytes they cover
/// are written), so they see only fully written batches. Segments removed by retention, DeleteRecords or truncation
/// stay open for <see cref="LogConfig.FileDeleteDelayMs"/>, so a read (or a <see cref="FileSlice"/> being sent) that
/// took them before keeps working. A read that races with <see cref="Dispose"/> may fail with an I/O or
/// ObjectDisposed exception. <see cref="FlushToLogEnd"/> (group commit, <c>flush.messages</c>, <c>flush.ms</c>) takes
/// the lock only to snapshot the log and to move the recovery point; the sync itself runs outside it, so appends never
/// wait for the disk. A roll likewise flushes the segment it closes in the background (as Kafka does).
/// </para>
/// <para>
/// After an I/O error its log dir is taken offline (<see cref="IsOffline"/>, set by <see cref="LogManager"/>): appends
/// and flushes throw <see cref="LogDirOfflineException"/>, reads answer KAFKA_STORAGE_ERROR and closing does not flush.
/// </para>
/// </summary>
public sealed class PartitionLog : IDisposable
{
    /// <summary>Appended to the names of a removed segment's files until they are deleted.</summary>
    public const string DeletedFileSuffix = ".deleted";

    /// <summary>The files that make up one segment (those that exist): the log and its indexes.</summary>
    private static readonly string[] SegmentFileSuffixes = SegmentSwap.SegmentFileSuffixes;

    private readonly Lock _lock = new();
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private LogConfig _config;
    private LogSegment[] _segments;
    private LogOffsetMetadata _logEnd;
    private LogOffsetMetadata _highWatermark;
    private long _logStartOffset;
    private long _recoveryPoint;
    private readonly List<PendingSegmentDeletion> _pendingDeletions = [];
    private long _unflushedRecords;
    private long _lastFlushTimestamp;
    private readonly long _rollJitterMs;
    private LogSegment? _rollClockSegment;
    private long _rollClockStartMs;
    private bool _closed;
    private volatile bool _offline;
    private long _truncations;
    private readonly ProducerStateManager _producerState;

    private PartitionLog(
        string directory,
        TopicPartition topicPartition,
        LogConfig config,
        LogSegment[] segments,
        ILogger logger,
        TimeProvider time,
        long logStartOffset,
        long recoveryPoint)
    {
        Directory = directory;
        TopicPartition = topicPartition;
        _config = config;
        _segments = segments;
        _logger = logger;
        _time = time;
        LogSegment active = segments[^1];
        _logEnd = new LogOffsetMetadata(active.NextOffset, active, active.Size);
        _highWatermark = _logEnd;
        _logStartOffset = Math.Clamp(logStartOffset, segments[0].BaseOffset, _logEnd.Offset);
        _recoveryPoint = Math.Clamp(recoveryPoint, 0, _logEnd.Offset);
        _lastFlushTimestamp = time.GetTimestamp();
        _rollJitterMs = config.SegmentJitterMs > 0 ? Random.Shared.NextInt64(Math.Min(config.SegmentJitterMs, config.SegmentMs)) : 0;
        StartRollClock(active);
        _producerState = new ProducerStateManager(directory);
    }

    public string Directory { get; }

    public TopicPartition TopicPartition { get; }

    /// <summary>
    /// The log's settings. Each use reads the current value, so a change (<see cref="UpdateConfig"/>) applies to the
    /// next append, roll, flush check and retention run; segments keep the index size they were created with and the
    /// roll jitter stays the one drawn at open.
    /// </summary>
    public LogConfig Config => Volatile.Read(ref _config);

    /// <summary>Replaces the log's settings (a topic's configs were altered). Thread-safe.</summary>
    public void UpdateConfig(LogConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Volatile.Write(ref _config, config);
    }

    /// <summary>The first offset the log still holds.</summary>
    public long LogStartOffset => Volatile.Read(ref _logStartOffset);

    /// <summary>
    /// Every offset below this is on disk: flushes and the background flush after each roll advance it. After an
    /// unclean shutdown, recovery checks the segments from here on.
    /// </summary>
    public long RecoveryPoint => Volatile.Read(ref _recoveryPoint);

    /// <summary>The offset the next appended record receives (LEO).</summary>
    public long LogEndOffset => Volatile.Read(ref _logEnd).Offset;

    /// <summary>Consumers read below this offset. Starts at the log end offset; the broker moves it.</summary>
    public long HighWatermark => Volatile.Read(ref _highWatermark).Offset;

    /// <summary>
    /// The high watermark with the base offset of the segment it falls in and its byte position there, read as one
    /// consistent snapshot. Delayed fetches compare two snapshots to estimate the bytes appended in between without
    /// reading the log. Lock-free.
    /// </summary>
    public (long Offset, long SegmentBaseOffset, long Position) HighWatermarkPosition()
    {
        LogOffsetMetadata highWatermark = Volatile.Read(ref _highWatermark);
        return (highWatermark.Offset, highWatermark.Segment.BaseOffset, highWatermark.Position);
    }

    public int SegmentCount => Volatile.Read(ref _segments).Length;

    /// <summary>
    /// Consumers at read_committed read below this offset (LSO): the first offset of the oldest transaction still open
    /// here, or the high watermark when that is lower. Lock-free.
    /// </summary>
    public long LastStableOffset => Math.Min(_producerState.FirstUnstableOffset, HighWatermark);

    /// <summary>The producers of this partition. Not thread-safe: only for tests and tools while nothing appends.</summary>
    internal ProducerStateManager ProducerState => _producerState;

    /// <summary>
    /// True once the log dir holding this log failed (see <see cref="LogManager.MarkLogDirOffline"/>): appends and
    /// flushes throw <see cref="LogDirOfflineException"/> and reads answer KAFKA_STORAGE_ERROR, none touching the disk.
    /// </summary>
    public bool IsOffline => _offline;

    /// <summary>The group-commit waiters of this log (see <see cref="GroupCommitFlusher"/>).</summary>
    internal GroupCommitWaiters GroupCommit { get; } = new();

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
    /// every segment that may hold offsets at or above <paramref name="recoveryPoint"/> (default 0: all of them) is
    /// recovered: a torn or corrupt tail is cut off, later segments are removed and one line is logged.
    /// <paramref name="logStartOffset"/> (from the log-start-offset checkpoint) is clamped to the segments.
    /// </summary>
    public static PartitionLog Open(
        string directory,
        TopicPartition topicPartition,
        LogConfig config,
        bool hadCleanShutdown = false,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        long logStartOffset = 0,
        long recoveryPoint = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        logger ??= NullLogger.Instance;
        timeProvider ??= TimeProvider.System;
        System.IO.Directory.CreateDirectory(directory);
        SegmentSwap.RecoverInterruptedSwaps(directory, topicPartition.ToString(), logger);
        DeleteLeftoverDeletedFiles(directory);

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
            bool activeIndexMissing = false;
            RecoveryReport? recovery = hadCleanShutdown ? null : new RecoveryReport(recoveryPoint);
            for (int i = 0; i < baseOffsets.Count; i++)
            {
                bool indexMissing = IndexMissing(directory, baseOffsets[i]);
                activeIndexMissing = indexMissing;
                LogSegment segment = LogSegment.Open(directory, baseOffsets[i], config);
                segments.Add(segment);
                bool isLast = i == baseOffsets.Count - 1;
                if (recovery is not null && (isLast || baseOffsets[i + 1] > recoveryPoint))
                {
                    if (!RecoverSegment(segment, recovery))
                    {
                        recovery.SegmentsRemoved = DeleteSegmentFiles(directory, baseOffsets, i + 1);
                        break;
                    }

                    if (!isLast)
                    {
                        segment.OnBecomeInactive();
                    }
                }
                else if (!isLast && (indexMissing || !segment.TryLoadInactive()))
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
                segments.Add(LogSegment.Create(directory, Math.Max(0, logStartOffset), config));
            }

            LogSegment active = segments[^1];
            if (recovery is null && (activeIndexMissing || !active.TryLoadTail()))
            {
                recovery = new RecoveryReport(active.BaseOffset);
                RecoverSegment(active, recovery);
            }

            recovery?.Log(logger, name, active.NextOffset);
            var log = new PartitionLog(
                directory, topicPartition, config, [.. segments], logger, timeProvider, logStartOffset, recovery?.From ?? long.MaxValue);
            // After a crash, the transaction indexes past the recovery point may be incomplete: rebuild from there.
            log.LoadProducerState(Math.Min(log._recoveryPoint, log._logEnd.Offset));
            return log;
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
    /// and, when <see cref="LogConfig.FlushIntervalMessages"/> or <see cref="LogConfig.FlushIntervalMs"/> says so, flushes
    /// through <see cref="FlushToLogEnd"/> after releasing the lock (synchronously in the append path, as Kafka does for
    /// <c>flush.messages</c>, but never fsyncing under the lock, so other appends to this log go on meanwhile).
    /// </summary>
    /// <para>
    /// Batches with a producer id first pass the producer-state checks for <paramref name="origin"/> (see
    /// <see cref="ProducerStateManager"/>): a failed check appends nothing and answers its error; a retried batch already
    /// in the log answers its original offsets (<see cref="LogAppendResult.IsDuplicate"/>) and appends nothing. Once
    /// written, the producer state is updated; a marker that aborts a transaction adds it to the segment's
    /// <c>.txnindex</c> before the last stable offset moves past it.
    /// </para>
    /// </summary>
    /// <exception cref="LogDirOfflineException">The log's dir is offline.</exception>
    public LogAppendResult Append(Span<byte> validatedRecords, int leaderEpoch, AppendOrigin origin = AppendOrigin.Client)
    {
        LogAppendResult result;
        bool flushDue;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfOffline();
            long firstOffset = _logEnd.Offset;
            long nextOffset = firstOffset;
            long largestTimestamp = TimeIndex.NoTimestamp;
            long offsetOfLargestTimestamp = -1;
            int recordCount = 0;
            int position = 0;
            bool hasProducers = false;
            while (position < validatedRecords.Length)
            {
                Span<byte> batch = validatedRecords[position..];
                if (!RecordBatchHeader.TryRead(batch, out RecordBatchHeader header)
                    || header.BatchLength < RecordBatchHeader.MinBatchLength
                    || header.TotalSize > batch.Length
                    || header.LastOffsetDelta < 0)
                {
                    _producerState.EndCheck();
                    throw new ArgumentException("The records are not whole, valid record batches.", nameof(validatedRecords));
                }

                if (header.HasProducerId)
                {
                    hasProducers = true;
                    bool multiBatch = position > 0 || header.TotalSize < validatedRecords.Length;
                    ErrorCode error = _producerState.Check(header, batch[..(int)header.TotalSize], origin, multiBatch, out ProducerBatch? duplicate);
                    if (error != ErrorCode.None || duplicate is not null)
                    {
                        _producerState.EndCheck();
                        return duplicate is { } original
                            ? new LogAppendResult(original.FirstOffset, original.LastOffset, 0, _logStartOffset, IsDuplicate: true)
                            : new LogAppendResult(firstOffset, firstOffset - 1, 0, _logStartOffset, error);
                    }
                }

                RecordBatch.SetBaseOffset(batch, nextOffset);
                RecordBatch.SetPartitionLeaderEpoch(batch, leaderEpoch);
                if (header.MaxTimestamp > largestTimestamp)
                {
                    largestTimestamp = header.MaxTimestamp;
                    offsetOfLargestTimestamp = nextOffset;
                }

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
                    || segment.TimeIndex.IsFull
                    || lastOffset - segment.BaseOffset > int.MaxValue
                    || IsOldEnoughToRoll(segment, largestTimestamp)))
            {
                segment = Roll();
            }

            segment.Append(firstOffset, lastOffset, largestTimestamp, offsetOfLargestTimestamp, validatedRecords);
            if (hasProducers)
            {
                UpdateProducerState(validatedRecords, segment);
            }

            Volatile.Write(ref _logEnd, new LogOffsetMetadata(nextOffset, segment, segment.Size));

            _unflushedRecords += recordCount;
            flushDue = _unflushedRecords >= Config.FlushIntervalMessages
                || _time.GetElapsedTime(_lastFlushTimestamp).TotalMilliseconds >= Config.FlushIntervalMs;
            result = new LogAppendResult(firstOffset, lastOffset, recordCount, _logStartOffset);
        }

        if (flushDue)
        {
            FlushToLogEnd();
        }

        return result;
    }

    /// <summary>
    /// Records the written batches (offsets stamped) in the producer state; an aborted transaction goes into
    /// <paramref name="segment"/>'s transaction index before the first unstable offset is published. Caller holds the lock.
    /// </summary>
    private void UpdateProducerState(ReadOnlySpan<byte> batches, LogSegment segment)
    {
        _producerState.EndCheck();
        int position = 0;
        while (position < batches.Length && RecordBatchHeader.TryRead(batches[position..], out RecordBatchHeader header))
        {
            ReadOnlySpan<byte> batch = batches.Slice(position, (int)header.TotalSize);
            if (_producerState.Update(header, batch, header.BaseOffset, header.LastOffset) is { IsAborted: true } aborted)
            {
                segment.TxnIndex.Append(new AbortedTxn(aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset, _producerState.LastStableOffsetAfter(aborted)));
            }

            position += (int)header.TotalSize;
        }

        _producerState.PublishFirstUnstableOffset();
    }

    /// <summary>
    /// Rebuilds the producer state when the log opens or is truncated: snapshots past the log end are deleted, then the
    /// newest snapshot at or below <paramref name="maxSnapshotOffset"/> (or none) is loaded and every batch from there to
    /// the log end replayed, rebuilding the transaction indexes of that range. Caller holds the lock, or the log is not
    /// shared yet.
    /// </summary>
    private void LoadProducerState(long maxSnapshotOffset)
    {
        long end = _logEnd.Offset;
        _producerState.DeleteSnapshotsAbove(end);
        long from = _producerState.LoadLatestSnapshot(maxSnapshotOffset);
        from = Math.Max(from, _logStartOffset);
        LogSegment[] segments = _segments;
        for (int i = FloorSegment(segments, from); i < segments.Length; i++)
        {
            segments[i].TxnIndex.TruncateTo(from);
        }

        if (from < end)
        {
            LogBatchScanner.Scan(this, from, end, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
            {
                if (header.HasProducerId
                    && _producerState.Update(header, batch, header.BaseOffset, header.LastOffset) is { IsAborted: true } aborted)
                {
                    LogSegment holder = segments[FloorSegment(segments, header.BaseOffset)];
                    holder.TxnIndex.Append(new AbortedTxn(aborted.ProducerId, aborted.FirstOffset, aborted.LastOffset, _producerState.LastStableOffsetAfter(aborted)));
                }

                return true;
            });
        }

        _producerState.TruncateHead(_logStartOffset);
        _producerState.PublishFirstUnstableOffset();
    }

    /// <summary>
    /// The aborted transactions a read_committed fetch from <paramref name="startOffset"/> must list: those whose
    /// records overlap [<paramref name="startOffset"/>, <paramref name="upperBoundOffset"/>), from the transaction indexes
    /// of the segments from the one holding the start offset on (a transaction's entry sits with its ABORT marker, which
    /// may be in a later segment). The search stops at an entry whose last stable offset reaches the upper bound: every
    /// transaction that began below it had ended by then. Lock-free; adds to <paramref name="into"/>.
    /// </summary>
    public void CollectAbortedTransactions(long startOffset, long upperBoundOffset, List<AbortedTxn> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        LogSegment[] segments = Volatile.Read(ref _segments);
        for (int i = FloorSegment(segments, startOffset); i < segments.Length; i++)
        {
            foreach (AbortedTxn aborted in segments[i].TxnIndex.Entries)
            {
                if (aborted.LastOffset >= startOffset && aborted.FirstOffset < upperBoundOffset)
                {
                    into.Add(aborted);
                }

                if (aborted.LastStableOffset >= upperBoundOffset)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// <see cref="CollectAbortedTransactions"/> for the records a read_committed fetch from <paramref name="fetchOffset"/>
    /// returned (<paramref name="fetched"/>, from one segment): the upper bound is the next segment's base offset, or
    /// <paramref name="lastStableOffset"/> when lower, as Kafka bounds it.
    /// </summary>
    public void CollectAbortedTransactions(long fetchOffset, in FileSlice fetched, long lastStableOffset, List<AbortedTxn> into)
    {
        LogSegment[] segments = Volatile.Read(ref _segments);
        long upperBound = lastStableOffset;
        for (int i = FloorSegment(segments, fetchOffset); i + 1 < segments.Length; i++)
        {
            if (ReferenceEquals(segments[i].Handle, fetched.Handle))
            {
                upperBound = Math.Min(upperBound, segments[i + 1].BaseOffset);
                break;
            }
        }

        CollectAbortedTransactions(fetchOffset, upperBound, into);
    }

    /// <summary>
    /// Forgets the producers idle for producer.id.expiration.ms (<paramref name="expirationMs"/>) with no open
    /// transaction. Returns how many went.
    /// </summary>
    public int RemoveExpiredProducers(long expirationMs)
    {
        lock (_lock)
        {
            return _closed ? 0 : _producerState.RemoveExpiredProducers(_time.GetUtcNow().ToUnixTimeMilliseconds(), expirationMs);
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

        if (_offline)
        {
            return new LogReadResult(ErrorCode.KafkaStorageError, default, highWatermark.Offset, logStartOffset, end.Offset);
        }

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
    /// The first record at or after the log start offset whose timestamp is at or after
    /// <paramref name="targetTimestamp"/> (Kafka's ListOffsets by timestamp), or null when there is none. Segments whose
    /// largest timestamp is below the target are skipped; inside a segment the time and offset indexes lead to the batch
    /// (see <see cref="LogSegment.FindOffsetByTimestamp"/>). Includes records above the high watermark: callers filter.
    /// Lock-free, like <see cref="Read"/>.
    /// </summary>
    public TimestampOffset? FetchOffsetByTimestamp(long targetTimestamp)
    {
        LogSegment[] segments = Volatile.Read(ref _segments);
        long logStartOffset = Volatile.Read(ref _logStartOffset);
        foreach (LogSegment segment in segments)
        {
            if (segment.MaxTimestamp < targetTimestamp)
            {
                continue;
            }

            if (segment.FindOffsetByTimestamp(targetTimestamp, logStartOffset) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// The record with the largest timestamp (the first one when several share it), for ListOffsets MAX_TIMESTAMP (-3);
    /// null when no record has a timestamp. Found in the segment with the largest <see cref="LogSegment.MaxTimestamp"/>.
    /// Includes records above the high watermark: callers filter. Lock-free, like <see cref="Read"/>.
    /// </summary>
    public TimestampOffset? FetchOffsetOfMaxTimestamp()
    {
        LogSegment[] segments = Volatile.Read(ref _segments);
        long logStartOffset = Volatile.Read(ref _logStartOffset);
        LogSegment? latest = null;
        long maxTimestamp = TimeIndex.NoTimestamp;
        foreach (LogSegment segment in segments)
        {
            long timestamp = segment.MaxTimestamp;
            if (timestamp > maxTimestamp)
            {
                maxTimestamp = timestamp;
                latest = segment;
            }
        }

        // The first record whose timestamp reaches the segment's largest one is the record that holds it.
        return latest?.FindOffsetByTimestamp(maxTimestamp, logStartOffset);
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

            // A flush that snapshotted the log before this must not move the recovery point past the new end.
            _truncations++;
            LogSegment[] segments = _segments;
            if (offset < _logStartOffset)
            {
                foreach (LogSegment old in segments)
                {
                    ScheduleDeletion(old);
                }

                LogSegment fresh = LogSegment.Create(Directory, offset, Config);
                Volatile.Write(ref _logStartOffset, offset);
                Volatile.Write(ref _segments, [fresh]);
                Volatile.Write(ref _recoveryPoint, Math.Min(_recoveryPoint, offset));
                Volatile.Write(ref _logEnd, new LogOffsetMetadata(offset, fresh, 0));
                Volatile.Write(ref _highWatermark, _logEnd);
                _producerState.DeleteSnapshotsAbove(-1);
                _producerState.Clear();
                return;
            }

            int keep = FloorSegment(segments, offset) + 1;
            if (keep < segments.Length)
            {
                Volatile.Write(ref _segments, segments[..keep]);
                for (int i = segments.Length - 1; i >= keep; i--)
                {
                    ScheduleDeletion(segments[i]);
                }
            }

            LogSegment active = segments[keep - 1];
            active.TruncateTo(offset);
            Volatile.Write(ref _recoveryPoint, Math.Min(_recoveryPoint, active.NextOffset));

            var end = new LogOffsetMetadata(active.NextOffset, active, active.Size);
            Volatile.Write(ref _logEnd, end);
            long highWatermark = Math.Min(_highWatermark.Offset, end.Offset);
            Volatile.Write(ref _highWatermark, highWatermark == end.Offset ? end : Locate(highWatermark));
            // The producers' state as of the new end: from a snapshot at or below it plus the batches after.
            LoadProducerState(end.Offset);
        }
    }

    /// <summary>
    /// Writes the active segment to disk (fsync) and moves the recovery point to the log end. Older segments were
    /// flushed when they rolled.
    /// </summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfOffline();
            FlushLocked();
        }
    }

    /// <summary>
    /// Makes every offset below the current log end durable without holding the append lock while the disk works
    /// (Kafka's <c>flush(offset)</c>): under the lock it takes the log end, the recovery point and the segment array;
    /// outside it, it calls <paramref name="sync"/> (default <see cref="FileSync.FullSync"/>, fsync) once on the
    /// <c>.log</c> file of each segment that may hold offsets in [recovery point, log end); then, under the lock again,
    /// moves the recovery point up to that log end. Indexes are not synced: recovery rebuilds those above the recovery
    /// point.
    /// <para>
    /// Appends and rolls go on meanwhile. A segment closed by a roll after the snapshot is in the snapshot, so it is
    /// synced here; the new segment only holds offsets at or above the snapshot's log end, which this flush does not
    /// claim. A segment removed
    /// meanwhile stays open until <see cref="LogConfig.FileDeleteDelayMs"/> has passed, so its handle is still valid.
    /// A truncation meanwhile leaves the recovery point alone. Returns the recovery point.
    /// </para>
    /// </summary>
    /// <exception cref="LogDirOfflineException">The log's dir is offline.</exception>
    /// <exception cref="IOException">The sync failed; the caller reports the log dir as failed.</exception>
    public long FlushToLogEnd(Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? sync = null) => FlushUpTo(long.MaxValue, sync);

    /// <summary><see cref="FlushToLogEnd"/> that claims no more than the offsets below <paramref name="upTo"/>.</summary>
    private long FlushUpTo(long upTo, Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? sync)
    {
        long end;
        long recoveryPoint;
        long truncations;
        LogSegment[] segments;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ThrowIfOffline();
            end = Math.Min(upTo, _logEnd.Offset);
            recoveryPoint = _recoveryPoint;
            if (end <= recoveryPoint)
            {
                return recoveryPoint;
            }

            segments = _segments;
            truncations = _truncations;
            if (end == _logEnd.Offset)
            {
                _unflushedRecords = 0;
                _lastFlushTimestamp = _time.GetTimestamp();
            }
        }

        sync ??= FileSync.FullSync;
        for (int i = FloorSegment(segments, recoveryPoint); i < segments.Length && segments[i].BaseOffset < end; i++)
        {
            sync(segments[i].Handle);
        }

        lock (_lock)
        {
            if (_truncations == truncations && end > _recoveryPoint)
            {
                Volatile.Write(ref _recoveryPoint, end);
            }

            return _recoveryPoint;
        }
    }

    /// <summary>
    /// Takes the log offline after its dir failed: from now on nothing touches its files (see <see cref="IsOffline"/>).
    /// Called by <see cref="LogManager.MarkLogDirOffline"/>.
    /// </summary>
    internal void MarkOffline() => _offline = true;

    private void ThrowIfOffline()
    {
        if (_offline)
        {
            throw new LogDirOfflineException(
                $"The log dir of {TopicPartition} ({System.IO.Path.GetDirectoryName(Directory)}) is offline after an I/O error.");
        }
    }

    /// <summary>
    /// Flushes when <see cref="LogConfig.FlushIntervalMs"/> has passed since the last flush and something is unflushed:
    /// the scheduler's flush of logs that have not been appended to since. Returns true when it flushed.
    /// </summary>
    public bool FlushIfIntervalElapsed()
    {
        lock (_lock)
        {
            if (_closed
                || _offline
                || _recoveryPoint >= _logEnd.Offset
                || _time.GetElapsedTime(_lastFlushTimestamp).TotalMilliseconds < Config.FlushIntervalMs)
            {
                return false;
            }
        }

        FlushToLogEnd();
        return true;
    }

    /// <summary>
    /// DeleteRecords (Kafka's maybeIncrementLogStartOffset): moves the log start offset up to <paramref name="offset"/>
    /// (never down) and removes the segments entirely below it. Returns the log start offset.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> is negative or above the high watermark.</exception>
    public long DeleteRecordsBefore(long offset)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            long highWatermark = _highWatermark.Offset;
            if (offset < 0 || offset > highWatermark)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(offset), offset, $"Records of {TopicPartition} can be deleted up to the high watermark {highWatermark} only.");
            }

            if (offset > _logStartOffset)
            {
                Volatile.Write(ref _logStartOffset, offset);
                RemoveSegmentsBelowLogStart();
                _producerState.TruncateHead(offset);
            }

            return _logStartOffset;
        }
    }

    /// <summary>
    /// Runs retention once (Kafka's deleteOldSegments): when <see cref="LogConfig.Delete"/>, removes the oldest segments
    /// whose largest timestamp is older than <see cref="LogConfig.RetentionMs"/>, then the oldest while the log stays at
    /// least <see cref="LogConfig.RetentionBytes"/> without them; under any policy, the segments entirely below the log
    /// start offset. Each rule stops at the first segment it keeps; only segments entirely below the high watermark go,
    /// and never the active segment. The log start offset moves to the new first segment. Returns how many were removed.
    /// </summary>
    public int DeleteOldSegments()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return 0;
            }

            int removed = 0;
            if (Config.Delete)
            {
                removed += RemoveRetentionMsBreached();
                removed += RemoveRetentionBytesBreached();
            }

            return removed + RemoveSegmentsBelowLogStart();
        }
    }

    /// <summary>
    /// Closes and deletes the files of removed segments once <see cref="LogConfig.FileDeleteDelayMs"/> has passed since
    /// their removal. Returns how many segments were deleted.
    /// </summary>
    public int DeleteDueSegmentFiles()
    {
        List<PendingSegmentDeletion>? due = null;
        lock (_lock)
        {
            for (int i = 0; i < _pendingDeletions.Count; i++)
            {
                PendingSegmentDeletion pending = _pendingDeletions[i];
                if (_time.GetElapsedTime(pending.RemovedTimestamp).TotalMilliseconds >= Config.FileDeleteDelayMs)
                {
                    (due ??= []).Add(pending);
                    _pendingDeletions.RemoveAt(i--);
                }
            }
        }

        if (due is null)
        {
            return 0;
        }

        foreach (PendingSegmentDeletion pending in due)
        {
            DeleteFiles(pending, deleteFiles: true);
        }

        return due.Count;
    }

    /// <summary>Removed segments whose files are not deleted yet.</summary>
    public int PendingSegmentDeletions
    {
        get
        {
            lock (_lock)
            {
                return _pendingDeletions.Count;
            }
        }
    }

    private int RemoveRetentionMsBreached()
    {
        if (Config.RetentionMs < 0)
        {
            return 0;
        }

        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        int count = CountDeletable(segment => now - LargestTimestamp(segment) > Config.RetentionMs);
        RemoveOldestSegments(count, "older than retention.ms");
        return count;
    }

    private int RemoveRetentionBytesBreached()
    {
        if (Config.RetentionBytes < 0)
        {
            return 0;
        }

        long excess = Size - Config.RetentionBytes;
        int count = CountDeletable(segment =>
        {
            if (excess - segment.Size < 0)
            {
                return false;
            }

            excess -= segment.Size;
            return true;
        });
        RemoveOldestSegments(count, "beyond retention.bytes");
        return count;
    }

    private int RemoveSegmentsBelowLogStart()
    {
        LogSegment[] segments = _segments;
        long logStartOffset = _logStartOffset;
        int count = 0;
        while (count < segments.Length - 1 && segments[count + 1].BaseOffset <= logStartOffset)
        {
            count++;
        }

        RemoveOldestSegments(count, "below the log start offset");
        return count;
    }

    /// <summary>
    /// How many of the oldest inactive segments, entirely below the high watermark, satisfy
    /// <paramref name="shouldDelete"/> before the first that does not. Caller holds the lock.
    /// </summary>
    private int CountDeletable(Func<LogSegment, bool> shouldDelete)
    {
        LogSegment[] segments = _segments;
        long highWatermark = _highWatermark.Offset;
        int count = 0;
        while (count < segments.Length - 1
            && segments[count + 1].BaseOffset <= highWatermark
            && shouldDelete(segments[count]))
        {
            count++;
        }

        return count;
    }

    /// <summary>The segment's largest timestamp, or its file's modification time when no batch carries one.</summary>
    private static long LargestTimestamp(LogSegment segment)
    {
        long timestamp = segment.MaxTimestamp;
        return timestamp >= 0 ? timestamp : new DateTimeOffset(File.GetLastWriteTimeUtc(segment.LogPath)).ToUnixTimeMilliseconds();
    }

    /// <summary>
    /// Takes the <paramref name="count"/> oldest segments out of the log (never all of them), moves the log start
    /// offset to the new first segment and schedules the removed files for deletion. Caller holds the lock.
    /// </summary>
    private void RemoveOldestSegments(int count, string cause)
    {
        if (count <= 0)
        {
            return;
        }

        LogSegment[] segments = _segments;
        LogSegment[] kept = segments[count..];
        // Read takes the segments before the log start offset, so the offset is published first.
        Volatile.Write(ref _logStartOffset, Math.Max(_logStartOffset, kept[0].BaseOffset));
        Volatile.Write(ref _segments, kept);
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += segments[i].Size;
            ScheduleDeletion(segments[i]);
        }

        _producerState.TruncateHead(_logStartOffset);
        _producerState.DeleteSnapshotsBelow(kept[0].BaseOffset);

        StorageLog.DeletedSegments(_logger, TopicPartition.ToString(), count, bytes, cause, _logStartOffset);
    }

    /// <summary>
    /// Renames a segment already taken out of the log to <c>*.deleted</c> and queues it: its files stay open for
    /// reads in flight until <see cref="DeleteDueSegmentFiles"/> runs after the delay. Caller holds the lock.
    /// </summary>
    private void ScheduleDeletion(LogSegment segment)
    {
        var files = new List<string>(SegmentFileSuffixes.Length);
        foreach (string suffix in SegmentFileSuffixes)
        {
            string path = Path.Combine(Directory, LogSegment.FileName(segment.BaseOffset, suffix));
            try
            {
                if (File.Exists(path))
                {
                    File.Move(path, path + DeletedFileSuffix, overwrite: true);
                    files.Add(path + DeletedFileSuffix);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                StorageLog.SegmentFileDeleteFailed(_logger, TopicPartition.ToString(), path, ex);
                files.Add(path);
            }
        }

        _pendingDeletions.Add(new PendingSegmentDeletion(segment, [.. files], _time.GetTimestamp()));
    }

    /// <summary>Closes a removed segment and, when <paramref name="deleteFiles"/>, deletes its files.</summary>
    private void DeleteFiles(PendingSegmentDeletion pending, bool deleteFiles)
    {
        try
        {
            pending.Segment.Dispose();
            if (deleteFiles)
            {
                foreach (string file in pending.Files)
                {
                    File.Delete(file);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            StorageLog.SegmentFileDeleteFailed(_logger, TopicPartition.ToString(), pending.Segment.LogPath, ex);
        }
    }

    /// <summary>Caller holds the lock.</summary>
    private void FlushLocked()
    {
        // Every segment from the recovery point on: a rolled segment's background flush may not have run yet.
        LogSegment[] segments = _segments;
        for (int i = FloorSegment(segments, _recoveryPoint); i < segments.Length; i++)
        {
            segments[i].Flush();
        }

        _unflushedRecords = 0;
        _lastFlushTimestamp = _time.GetTimestamp();
        Volatile.Write(ref _recoveryPoint, _logEnd.Offset);
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
            if (flush && !_offline)
            {
                try
                {
                    FlushLocked();
                    _producerState.TakeSnapshot(_logEnd.Offset, sync: true);
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

            foreach (PendingSegmentDeletion pending in _pendingDeletions)
            {
                DeleteFiles(pending, deleteFiles: flush);
            }

            _pendingDeletions.Clear();

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
            if (!replacement.TryLoadInactive())
            {
                replacement.RebuildIndex();
                replacement.OnBecomeInactive();
            }

            // The cleaner keeps every marker, so the aborted transactions of the old segments still hold.
            if (replacement.TxnIndex.Entries.Length == 0)
            {
                foreach (LogSegment old in oldSegments)
                {
                    foreach (AbortedTxn aborted in old.TxnIndex.Entries)
                    {
                        replacement.TxnIndex.Append(aborted);
                    }
                }
            }
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
    /// Queues segments replaced by <see cref="ReplaceSegments"/>, whose files were already renamed to <c>.deleted</c>,
    /// for deletion after <see cref="LogConfig.FileDeleteDelayMs"/>, so reads that hold them finish. Caller holds the lock.
    /// </summary>
    private void DeleteReplacedSegments(IReadOnlyList<LogSegment> replaced)
    {
        foreach (LogSegment segment in replaced)
        {
            var files = new List<string>(SegmentFileSuffixes.Length);
            foreach (string suffix in SegmentFileSuffixes)
            {
                string path = Path.Combine(Directory, LogSegment.FileName(segment.BaseOffset, suffix) + DeletedFileSuffix);
                if (File.Exists(path))
                {
                    files.Add(path);
                }
            }

            _pendingDeletions.Add(new PendingSegmentDeletion(segment, [.. files], _time.GetTimestamp()));
        }
    }

    /// <summary>Closes the active segment (fsync, trimmed index) and starts a new one at the log end offset.</summary>
    private LogSegment Roll()
    {
        LogOffsetMetadata end = _logEnd;
        LogSegment old = end.Segment;
        old.OnBecomeInactive();
        // The producer state as of the new segment's base, so that opening replays at most the active segment. Not
        // fsynced: a damaged snapshot is skipped for an older one.
        _producerState.TakeSnapshot(end.Offset, sync: false);
        LogSegment segment = LogSegment.Create(Directory, end.Offset, Config);
        LogSegment[] segments = _segments;
        var rolled = new LogSegment[segments.Length + 1];
        segments.CopyTo(rolled, 0);
        rolled[^1] = segment;
        Volatile.Write(ref _segments, rolled);
        Volatile.Write(ref _logEnd, new LogOffsetMetadata(end.Offset, segment, 0));
        StartRollClock(segment);
        // As Kafka, the closed segment is fsynced in the background: an fsync of up to segment.bytes under the append
        // lock would stall every producer to this partition. The recovery point moves when that flush is done.
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Log.FlushAfterRoll(state.End), (Log: this, End: end.Offset), preferLocal: false);
        return segment;
    }

    /// <summary>Called with this log and the error when a background flush (after a roll) fails; the log manager takes the dir offline.</summary>
    internal Action<PartitionLog, Exception>? BackgroundFlushFailed { get; set; }

    private void FlushAfterRoll(long rolledEnd)
    {
        try
        {
            FlushUpTo(rolledEnd, sync: null);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or LogDirOfflineException)
        {
            // Closed or failed meanwhile: closing flushes what is left; an offline dir is never flushed again.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            StorageLog.BackgroundFlushFailed(_logger, TopicPartition.ToString(), ex);
            BackgroundFlushFailed?.Invoke(this, ex);
        }
    }

    /// <summary>
    /// True when the non-empty active <paramref name="segment"/> is older than <see cref="LogConfig.SegmentMs"/> minus
    /// the jitter, measured as Kafka does: from its first batch's MaxTimestamp to <paramref name="largestTimestamp"/>
    /// of the batches being appended, or on the clock since the segment became active when the first batch has no
    /// timestamp. Caller holds the lock.
    /// </summary>
    private bool IsOldEnoughToRoll(LogSegment segment, long largestTimestamp)
    {
        if (!ReferenceEquals(segment, _rollClockSegment))
        {
            StartRollClock(segment);
        }

        long first = segment.FirstBatchTimestamp;
        long waited = first >= 0
            ? largestTimestamp - first
            : _time.GetUtcNow().ToUnixTimeMilliseconds() - _rollClockStartMs;
        return waited > Config.SegmentMs - _rollJitterMs;
    }

    /// <summary>Notes when <paramref name="segment"/> became the active segment, for a roll by age.</summary>
    private void StartRollClock(LogSegment segment)
    {
        _rollClockSegment = segment;
        _rollClockStartMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    private static bool IndexMissing(string directory, long baseOffset) =>
        !File.Exists(Path.Combine(directory, LogSegment.FileName(baseOffset, OffsetIndex.FileSuffix)))
        || !File.Exists(Path.Combine(directory, LogSegment.FileName(baseOffset, TimeIndex.FileSuffix)));

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

    /// <summary>
    /// Validates one segment (CRC, lengths, offset order) and rebuilds its index; cuts it back to its last good batch
    /// when damaged. Returns true when nothing was cut.
    /// </summary>
    private static bool RecoverSegment(LogSegment segment, RecoveryReport report)
    {
        report.SegmentsChecked++;
        report.IndexesRebuilt++;
        long fileSize = segment.Size;
        SegmentDamage? damage = SegmentValidator.FindFirstDamage(segment.Handle, segment.BaseOffset, fileSize);
        if (damage is null && segment.RebuildIndex() == fileSize)
        {
            return true;
        }

        long truncated = segment.Recover();
        if (truncated == 0)
        {
            return true;
        }

        report.DamagedSegment = segment.LogPath;
        report.BytesTruncated = truncated;
        report.Damage = damage ?? new SegmentDamage(fileSize - truncated, "the batch framing is invalid", -1);
        return false;
    }

    /// <summary>Deletes the files of the segments at <paramref name="from"/> and after (not opened yet); returns how many.</summary>
    private static int DeleteSegmentFiles(string directory, List<long> baseOffsets, int from)
    {
        for (int i = from; i < baseOffsets.Count; i++)
        {
            foreach (string suffix in SegmentFileSuffixes)
            {
                File.Delete(Path.Combine(directory, LogSegment.FileName(baseOffsets[i], suffix)));
            }
        }

        return baseOffsets.Count - from;
    }

    private static void DeleteLeftoverDeletedFiles(string directory)
    {
        foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*" + DeletedFileSuffix))
        {
            File.Delete(path);
        }
    }

    private static void DeleteOrphanIndexes(string directory, List<long> logBaseOffsets)
    {
        foreach (string suffix in (ReadOnlySpan<string>)[OffsetIndex.FileSuffix, TimeIndex.FileSuffix])
        {
            foreach (string path in System.IO.Directory.EnumerateFiles(directory, "*" + suffix))
            {
                if (LogSegment.TryParseFileName(Path.GetFileName(path), suffix, out long baseOffset)
                    && logBaseOffsets.BinarySearch(baseOffset) < 0)
                {
                    File.Delete(path);
                }
            }
        }
    }

    /// <summary>A segment taken out of the log whose files are deleted after the delay.</summary>
    private sealed record PendingSegmentDeletion(LogSegment Segment, string[] Files, long RemovedTimestamp);
}
