using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage;

/// <summary>
/// Log compaction: background threads that keep, in every log whose <see cref="LogConfig.Compact"/> is set, only the
/// newest record per key (Kafka's log cleaner).
/// <para>
/// <b>Choosing a log.</b> Each log has a cleaner checkpoint, the first offset not yet cleaned (its log start offset
/// when unknown or out of range). The cleanable end is the smallest of the active segment's base offset (the active
/// segment is never cleaned), the high watermark, and the base offset of the first segment after the checkpoint that
/// holds a record newer than <see cref="LogConfig.MinCompactionLagMs"/>. The non-active bytes before the checkpoint's
/// segment are clean, those of segments from it to the cleanable end are dirty; a thread picks the log with the
/// highest dirty ratio, dirty / (clean + dirty), among those at or above <see cref="LogConfig.MinCleanableDirtyRatio"/>
/// or whose first uncleaned segment starts with a batch older than <see cref="LogConfig.MaxCompactionLagMs"/>.
/// </para>
/// <para>
/// <b>Cleaning.</b> The thread maps each key of the dirty section to its latest offset in a fixed-size
/// <see cref="OffsetMap"/> (<c>log.cleaner.dedupe.buffer.size</c>); when the map fills, the pass ends at the last batch
/// that fitted and the next pass carries on from there. It then rewrites every segment from the start of the log up to
/// that end, consecutive segments grouped so the result stays within <c>segment.bytes</c>, keeping a record unless a
/// later record of its key is in the map, it has no key, or it is a tombstone older than
/// <see cref="LogConfig.DeleteRetentionMs"/> (by its own timestamp). Offsets never move: a rewritten batch keeps its
/// base offset, LastOffsetDelta, timestamps base and producer id, epoch and sequence; the retained records are copied
/// byte for byte (recompressed with the batch's codec) and the count, CreateTime max timestamp, length and CRC are
/// recomputed. A batch left with no record is dropped, leaving a gap that reads skip, except the last batch of a
/// group, which stays as an empty batch (header only, uncompressed) so the cleaned segment ends at the same offset as
/// the segments it replaces (crash recovery relies on it). Cleaning stops at the last stable offset, so every
/// transaction below it has ended: a committed transaction's records are cleaned like any others, while transaction
/// markers and the records of aborted transactions (from the transaction indexes) are kept as they are and their keys
/// replace nothing. The new checkpoint is the end of the pass. Reads and
/// writes go through chunks of <c>log.cleaner.io.buffer.size</c> and are held under
/// <c>log.cleaner.io.max.bytes.per.second</c>.
/// </para>
/// <para>
/// <b>Files and the swap.</b> In a partition directory, for a group whose first segment has base offset B:
/// <list type="number">
/// <item>The cleaned data is written to <c>B.log.cleaned</c> and <c>B.index.cleaned</c> and fsynced.</item>
/// <item>They are renamed to <c>B.index.swap</c>, then <c>B.log.swap</c> (the log swap file is the commit point), and
/// the directory is fsynced.</item>
/// <item>Under the log's writer lock (<see cref="PartitionLog.ReplaceSegments"/>), after checking the group is still
/// there: each old segment's files are renamed to <c>.deleted</c>; the swap files take their live names, index first;
/// the directory is fsynced; the new segment is opened and the segment array published; the old segments go.</item>
/// </list>
/// At <see cref="PartitionLog.Open"/>: <c>.cleaned</c> and <c>.deleted</c> files are removed, as are <c>.swap</c> files
/// without a <c>.log.swap</c> of the same base; each <c>B.log.swap</c> then replaces every segment whose base offset lies
/// in [B, max(B + 1, the swap's next offset)) and takes its live name. A crash before step 2 completes thus leaves the
/// old segments; after it, the cleaned one; never both, never neither.
/// </para>
/// <para>
/// Each log dir keeps the checkpoints of its logs in <c>cleaner-offset-checkpoint</c> (see
/// <see cref="OffsetCheckpointFile"/>), rewritten after every pass.
/// </para>
/// Thread-safe: <see cref="Start"/> and <see cref="Stop"/> may be called from any thread; the cleaner threads share
/// the checkpoints and the set of logs being cleaned under a lock, and never clean one log in two threads at once.
/// </summary>
public sealed class LogCleaner : IDisposable
{
    public const string CheckpointFileName = "cleaner-offset-checkpoint";

    private readonly LogManager _logs;
    private readonly CleanerConfig _config;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CleanerThrottler _throttler;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _stateLock = new();
    private readonly Lock _checkpointFileLock = new();
    private readonly Dictionary<TopicPartition, Checkpoint> _checkpoints = [];
    private readonly HashSet<TopicPartition> _inProgress = [];
    private readonly HashSet<PartitionLog> _uncleanable = [];
    private readonly ConditionalWeakTable<LogSegment, SegmentTimestamps> _segmentTimestamps = new();
    private readonly List<Thread> _threads = [];
    private Cleaner? _foregroundCleaner;
    private bool _loaded;
    private bool _started;
    private bool _stopped;

    public LogCleaner(LogManager logs, CleanerConfig? config = null, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        config ??= CleanerConfig.Default;
        config.Validate();
        _logs = logs;
        _config = config;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _throttler = new CleanerThrottler(config.MaxIoBytesPerSecond, _time);
    }

    /// <summary>Loads the checkpoint files and starts <see cref="CleanerConfig.Threads"/> cleaner threads.</summary>
    public void Start()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            if (_started)
            {
                return;
            }

            _started = true;
            LoadCheckpoints();
            for (int i = 0; i < _config.Threads; i++)
            {
                var thread = new Thread(Run) { IsBackground = true, Name = $"log-cleaner-{i}" };
                _threads.Add(thread);
                thread.Start();
            }
        }

        CleanerLog.Started(_logger, _config.Threads);
    }

    /// <summary>
    /// Stops the threads: a pass in progress ends at its next batch, leaving the log as it was (or, if its swap had
    /// begun, finishing it). Returns once every thread has exited. Call before the logs close.
    /// </summary>
    public void Stop()
    {
        lock (_stateLock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        _stop.Cancel();
        foreach (Thread thread in _threads)
        {
            thread.Join();
        }

        _foregroundCleaner?.Dispose();
        _stop.Dispose();
    }

    public void Dispose() => Stop();

    /// <summary>The cleaner checkpoint of a partition (the first offset not cleaned yet), or null when it has none.</summary>
    public long? CheckpointOf(TopicPartition topicPartition)
    {
        lock (_stateLock)
        {
            return _checkpoints.TryGetValue(topicPartition, out Checkpoint checkpoint) ? checkpoint.Offset : null;
        }
    }

    /// <summary>Cleans the filthiest log on the calling thread, as a cleaner thread would; false when none needed it.</summary>
    internal bool CleanOnce()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_stopped, this);
            LoadCheckpoints();
        }

        _foregroundCleaner ??= CreateCleaner();
        return CleanFilthiestLog(_foregroundCleaner);
    }

    private void Run()
    {
        using Cleaner cleaner = CreateCleaner();
        while (!_stop.IsCancellationRequested)
        {
            bool cleaned;
            try
            {
                cleaned = CleanFilthiestLog(cleaner);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }

            if (!cleaned)
            {
                try
                {
                    Task.Delay(TimeSpan.FromMilliseconds(_config.BackoffMs), _time, _stop.Token).Wait(_stop.Token);
                }
                catch (Exception ex) when (ex is OperationCanceledException or AggregateException)
                {
                    return;
                }
            }
        }
    }

    private Cleaner CreateCleaner() =>
        new(
            Math.Min(_config.DedupeBufferSize / _config.Threads, int.MaxValue),
            _config.DedupeBufferLoadFactor,
            _config.IoBufferSize / _config.Threads,
            _throttler,
            _time,
            _stop.Token);

    /// <summary>Picks the filthiest log, cleans it and records its new checkpoint; false when no log needed cleaning.</summary>
    private bool CleanFilthiestLog(Cleaner cleaner)
    {
        LogToClean? chosen = SelectFilthiestLog();
        if (chosen is null)
        {
            return false;
        }

        PartitionLog log = chosen.Log;
        string name = log.TopicPartition.ToString();
        long started = _time.GetTimestamp();
        try
        {
            CleanerStats? stats = cleaner.Clean(log, chosen.FirstDirtyOffset, chosen.CleanableEndOffset);
            if (stats is null)
            {
                CleanerLog.CleaningAborted(_logger, name);
                return false;
            }

            lock (_stateLock)
            {
                _checkpoints[log.TopicPartition] = new Checkpoint(stats.EndOffset, log);
            }

            WriteCheckpointFile(Path.GetDirectoryName(log.Directory)!);
            CleanerLog.Cleaned(
                _logger, name, chosen.FirstDirtyOffset, stats.EndOffset, chosen.DirtyRatio, stats.BytesRead, stats.BytesWritten,
                stats.RecordsRemoved, (long)_time.GetElapsedTime(started).TotalMilliseconds);
            return true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is ObjectDisposedException
            || (!ReferenceEquals(_logs.GetLog(log.TopicPartition), log) && ex is IOException or UnauthorizedAccessException))
        {
            // A segment went (retention, truncation) or the whole log did (deletion) under the pass.
            CleanerLog.CleaningAborted(_logger, name);
            return false;
        }
        catch (Exception ex)
        {
            // Corrupt data, a missing codec, a full disk: this log waits for a restart; a background thread never
            // takes the broker down.
            lock (_stateLock)
            {
                _uncleanable.Add(log);
            }

            CleanerLog.MarkedUncleanable(_logger, name, ex);
            return false;
        }
        finally
        {
            lock (_stateLock)
            {
                _inProgress.Remove(log.TopicPartition);
            }
        }
    }

    /// <summary>The compacted log most in need of cleaning, now marked in progress; null when none qualifies.</summary>
    private LogToClean? SelectFilthiestLog()
    {
        long nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var candidates = new List<(PartitionLog Log, long FirstDirty)>();
        lock (_stateLock)
        {
            foreach (PartitionLog log in _logs.AllLogs)
            {
                if (!log.Config.Compact || _inProgress.Contains(log.TopicPartition) || _uncleanable.Contains(log))
                {
                    continue;
                }

                candidates.Add((log, FirstDirtyOffset(log)));
            }
        }

        LogToClean? best = null;
        foreach ((PartitionLog log, long firstDirty) in candidates)
        {
            LogToClean? candidate;
            try
            {
                candidate = Assess(log, firstDirty, nowMs);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                continue;
            }

            if (candidate is not null && (best is null || candidate.DirtyRatio > best.DirtyRatio))
            {
                best = candidate;
            }
        }

        if (best is null)
        {
            return null;
        }

        lock (_stateLock)
        {
            return _inProgress.Add(best.Log.TopicPartition) && !_stopped ? best : null;
        }
    }

    /// <summary>The checkpoint of <paramref name="log"/> if it is this log's and in range, else its log start offset. Caller holds the state lock.</summary>
    private long FirstDirtyOffset(PartitionLog log)
    {
        long logStart = log.LogStartOffset;
        if (_checkpoints.TryGetValue(log.TopicPartition, out Checkpoint checkpoint))
        {
            if (checkpoint.Log is null)
            {
                _checkpoints[log.TopicPartition] = checkpoint with { Log = log };
            }
            else if (!ReferenceEquals(checkpoint.Log, log))
            {
                _checkpoints.Remove(log.TopicPartition);
                return logStart;
            }

            if (checkpoint.Offset >= logStart && checkpoint.Offset <= log.LogEndOffset)
            {
                return checkpoint.Offset;
            }
        }

        return logStart;
    }

    /// <summary>The cleanable range and dirty ratio of a log, or null when it does not need cleaning now.</summary>
    private LogToClean? Assess(PartitionLog log, long firstDirty, long nowMs)
    {
        LogSegment[] segments = [.. log.Segments];
        // Never past the last stable offset: an open transaction's records may still be aborted.
        long cleanableEnd = Math.Min(segments[^1].BaseOffset, log.LastStableOffset);
        LogConfig config = log.Config;
        if (config.MinCompactionLagMs > 0)
        {
            long newest = nowMs - config.MinCompactionLagMs;
            for (int i = 0; i < segments.Length - 1; i++)
            {
                if (segments[i + 1].BaseOffset <= firstDirty)
                {
                    continue;
                }

                if (segments[i].BaseOffset >= cleanableEnd)
                {
                    break;
                }

                if (TimestampsOf(segments[i]).Largest > newest)
                {
                    cleanableEnd = Math.Min(cleanableEnd, Math.Max(segments[i].BaseOffset, firstDirty));
                    break;
                }
            }
        }

        if (cleanableEnd <= firstDirty)
        {
            return null;
        }

        long cleanBytes = 0;
        long dirtyBytes = 0;
        bool overdue = false;
        long oldestAllowed = config.MaxCompactionLagMs >= nowMs ? long.MinValue : nowMs - config.MaxCompactionLagMs;
        for (int i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i + 1].BaseOffset <= firstDirty)
            {
                cleanBytes += segments[i].Size;
            }
            else if (segments[i].BaseOffset < cleanableEnd)
            {
                dirtyBytes += segments[i].Size;
                if (config.MaxCompactionLagMs != long.MaxValue && !overdue)
                {
                    long first = TimestampsOf(segments[i]).FirstBatch;
                    overdue = first >= 0 && first < oldestAllowed;
                }
            }
        }

        if (dirtyBytes == 0)
        {
            return null;
        }

        double ratio = (double)dirtyBytes / (cleanBytes + dirtyBytes);
        return ratio >= config.MinCleanableDirtyRatio || overdue ? new LogToClean(log, firstDirty, cleanableEnd, ratio) : null;
    }

    /// <summary>The first batch's and the largest MaxTimestamp of a non-active segment (immutable, so cached).</summary>
    private SegmentTimestamps TimestampsOf(LogSegment segment) =>
        _segmentTimestamps.GetValue(segment, static s => ScanTimestamps(s));

    private static SegmentTimestamps ScanTimestamps(LogSegment segment)
    {
        SafeFileHandle handle = segment.Handle;
        long size = segment.Size;
        long position = 0;
        long first = -1;
        long largest = -1;
        Span<byte> header = stackalloc byte[RecordBatchHeader.MaxTimestampOffset + 8];
        while (size - position >= RecordBatchHeader.HeaderSize)
        {
            if (RandomAccess.Read(handle, header, position) < header.Length)
            {
                break;
            }

            int batchLength = BinaryPrimitives.ReadInt32BigEndian(header[RecordBatchHeader.BatchLengthOffset..]);
            if (batchLength < RecordBatchHeader.MinBatchLength)
            {
                break;
            }

            long maxTimestamp = BinaryPrimitives.ReadInt64BigEndian(header[RecordBatchHeader.MaxTimestampOffset..]);
            if (position == 0)
            {
                first = maxTimestamp;
            }

            largest = Math.Max(largest, maxTimestamp);
            position += RecordBatchHeader.LogOverhead + (long)batchLength;
        }

        return new SegmentTimestamps(first, largest);
    }

    /// <summary>Reads every log dir's checkpoint file once. Caller holds the state lock.</summary>
    private void LoadCheckpoints()
    {
        if (_loaded)
        {
            return;
        }

        _loaded = true;
        foreach (string logDir in _logs.LogDirs)
        {
            try
            {
                foreach ((TopicPartition topicPartition, long offset) in new OffsetCheckpointFile(Path.Combine(logDir, CheckpointFileName)).Read())
                {
                    _checkpoints[topicPartition] = new Checkpoint(offset, null);
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                CleanerLog.BadCheckpointFile(_logger, logDir, Path.Combine(logDir, CheckpointFileName), ex);
            }
        }
    }

    /// <summary>Rewrites <paramref name="logDir"/>'s checkpoint file with the checkpoints of the logs open in it.</summary>
    private void WriteCheckpointFile(string logDir)
    {
        lock (_checkpointFileLock)
        {
            var entries = new List<KeyValuePair<TopicPartition, long>>();
            lock (_stateLock)
            {
                foreach ((TopicPartition topicPartition, Checkpoint checkpoint) in _checkpoints)
                {
                    PartitionLog? log = _logs.GetLog(topicPartition);
                    if (log is not null
                        && (checkpoint.Log is null || ReferenceEquals(checkpoint.Log, log))
                        && string.Equals(Path.GetDirectoryName(log.Directory), logDir, StringComparison.Ordinal))
                    {
                        entries.Add(new(topicPartition, checkpoint.Offset));
                    }
                }
            }

            try
            {
                new OffsetCheckpointFile(Path.Combine(logDir, CheckpointFileName)).Write(entries);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                CleanerLog.CheckpointWriteFailed(_logger, logDir, ex);
            }
        }
    }

    /// <summary>A cleaner checkpoint; <see cref="Log"/> is the log it belongs to, null until first seen after loading.</summary>
    private readonly record struct Checkpoint(long Offset, PartitionLog? Log);

    private sealed record LogToClean(PartitionLog Log, long FirstDirtyOffset, long CleanableEndOffset, double DirtyRatio);

    private sealed record SegmentTimestamps(long FirstBatch, long Largest);
}
