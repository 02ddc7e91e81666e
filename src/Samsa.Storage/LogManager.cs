using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Protocol;

namespace Samsa.Storage;

/// <summary>
/// Owns every <see cref="PartitionLog"/> on this broker across one or more log directories (<c>log.dirs</c>).
/// <para>
/// On disk, each log dir holds:
/// <list type="bullet">
/// <item><c>&lt;topic&gt;-&lt;partition&gt;/</c>: one partition's log (see <see cref="PartitionLog"/>). Topic names use
/// <c>[a-zA-Z0-9._-]</c>, so the partition number is what follows the last '-'.</item>
/// <item><c>&lt;topic&gt;-&lt;partition&gt;.&lt;32 hex digits&gt;-delete/</c>: a deleted partition's directory, renamed
/// before its files are removed; any found at start-up are removed.</item>
/// <item><c>.samsa-clean-shutdown</c>: an empty marker written after every log in the dir was flushed and closed;
/// start-up skips recovery when it is present and removes it.</item>
/// <item><c>recovery-point-offset-checkpoint</c>: each partition's recovery point (see <see cref="OffsetCheckpointFile"/>),
/// written every <see cref="LogScheduleOptions.RecoveryPointCheckpointIntervalMs"/> and at shutdown; after an unclean
/// shutdown each log recovers from its checkpointed point (from 0 when the partition or the file is missing).</item>
/// <item><c>log-start-offset-checkpoint</c>: each partition's log start offset, written every
/// <see cref="LogScheduleOptions.LogStartOffsetCheckpointIntervalMs"/> and at shutdown.</item>
/// </list>
/// Anything else is logged and left alone.
/// </para>
/// <para>
/// Background tasks (<see cref="StartBackgroundTasks"/>): one loop on the injected <see cref="TimeProvider"/> runs
/// retention, the checkpoints, flushes by <c>flush.ms</c> and the delayed deletion of removed segments, one task at a
/// time. Each is also a public method that tests call directly.
/// </para>
/// <para>
/// Log dir failure (Kafka's LogDirFailureChannel): an <see cref="IOException"/> on an append, flush or roll is reported
/// through <see cref="MarkLogDirOffline"/> (the <see cref="GroupCommitFlusher"/> and the background flush do it
/// themselves; the broker's append path calls it). The dir's logs are marked offline (<see cref="PartitionLog.IsOffline"/>)
/// and never touched again, one error line names the dir and the cause, new logs go to the other dirs, no checkpoint
/// or clean-shutdown marker is written there, and the logs in the other dirs carry on. An offline dir stays offline
/// until the broker restarts.
/// </para>
/// <para>
/// Group commit (<see cref="StartGroupCommit"/>): one <see cref="GroupCommitFlusher"/> for all log dirs, stopped before
/// the logs are closed.
/// </para>
/// Thread-safe: logs live in a concurrent dictionary; creation and deletion are serialized by a lock; checkpoint
/// writes by another; the offline dirs are a concurrent set.
/// </summary>
public sealed class LogManager : IDisposable
{
    public const string CleanShutdownFileName = ".samsa-clean-shutdown";
    public const string DeletedDirectorySuffix = "-delete";
    public const int MaxTopicNameLength = 249;

    private readonly ConcurrentDictionary<TopicPartition, PartitionLog> _logs = new();
    private readonly Lock _createLock = new();
    private readonly Lock _checkpointLock = new();
    private readonly string[] _logDirs;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private bool _loaded;
    private bool _disposed;
    private CancellationTokenSource? _backgroundStop;
    private Task? _backgroundLoop;
    private readonly ConcurrentDictionary<string, string> _offlineDirs = new(StringComparer.Ordinal);
    private GroupCommitFlusher? _groupCommit;

    public LogManager(IEnumerable<string> logDirs, LogConfig defaultConfig, ILogger? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        ArgumentNullException.ThrowIfNull(defaultConfig);
        defaultConfig.Validate();
        var dirs = new List<string>();
        foreach (string dir in logDirs)
        {
            string full = Path.GetFullPath(dir);
            if (!dirs.Contains(full, StringComparer.Ordinal))
            {
                dirs.Add(full);
            }
        }

        if (dirs.Count == 0)
        {
            throw new ArgumentException("At least one log dir is needed.", nameof(logDirs));
        }

        _logDirs = [.. dirs];
        DefaultConfig = defaultConfig;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    public IReadOnlyList<string> LogDirs => _logDirs;

    public LogConfig DefaultConfig { get; }

    /// <summary>The log dirs taken offline after an I/O error.</summary>
    public IReadOnlyCollection<string> OfflineLogDirs => [.. _offlineDirs.Keys];

    /// <summary>The group-commit flusher, when <see cref="StartGroupCommit"/> has run.</summary>
    public GroupCommitFlusher? GroupCommit => Volatile.Read(ref _groupCommit);

    /// <summary>A snapshot of every open log.</summary>
    public IReadOnlyCollection<PartitionLog> AllLogs => [.. _logs.Values];

    /// <summary>
    /// Opens every <c>&lt;topic&gt;-&lt;partition&gt;</c> directory in the log dirs (recovering active segments unless
    /// the dir was shut down cleanly), removes leftovers of deletions and logs anything it does not recognise.
    /// Throws when one partition has directories in two log dirs.
    /// </summary>
    public void LoadLogs(Func<TopicPartition, LogConfig>? configFor = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_loaded)
        {
            throw new InvalidOperationException("The logs are already loaded.");
        }

        foreach (string logDir in _logDirs)
        {
            Directory.CreateDirectory(logDir);
            string marker = Path.Combine(logDir, CleanShutdownFileName);
            bool cleanShutdown = File.Exists(marker);
            Dictionary<TopicPartition, long> logStartOffsets = new OffsetCheckpointFile(Path.Combine(logDir, OffsetCheckpointFile.LogStartOffsetFileName)).Read();
            Dictionary<TopicPartition, long> recoveryPoints = ReadRecoveryPoints(logDir);
            int count = 0;
            foreach (string directory in Directory.EnumerateDirectories(logDir))
            {
                string name = Path.GetFileName(directory);
                if (name.EndsWith(DeletedDirectorySuffix, StringComparison.Ordinal) && name.Contains('.', StringComparison.Ordinal))
                {
                    Directory.Delete(directory, recursive: true);
                    StorageLog.RemovedDeletedDirectory(_logger, logDir, name);
                    continue;
                }

                if (!TryParseLogDirectoryName(name, out TopicPartition topicPartition))
                {
                    StorageLog.SkippedDirectory(_logger, logDir, name);
                    continue;
                }

                lock (_createLock)
                {
                    if (_logs.TryGetValue(topicPartition, out PartitionLog? existing))
                    {
                        throw new InvalidOperationException(
                            $"Partition {topicPartition} has a log in both {existing.Directory} and {directory}.");
                    }

                    LogConfig config = configFor?.Invoke(topicPartition) ?? DefaultConfig;
                    _logs[topicPartition] = PartitionLog.Open(
                        directory,
                        topicPartition,
                        config,
                        cleanShutdown,
                        _logger,
                        _time,
                        logStartOffsets.GetValueOrDefault(topicPartition),
                        recoveryPoints.GetValueOrDefault(topicPartition));
                    _logs[topicPartition].BackgroundFlushFailed = OnBackgroundFlushFailed;
                }

                count++;
            }

            if (cleanShutdown)
            {
                File.Delete(marker);
            }

            StorageLog.LoadedLogDir(_logger, logDir, count, cleanShutdown ? "a clean shutdown" : count == 0 ? "no previous run" : "an unclean shutdown (logs recovered)");
        }

        _loaded = true;
    }

    /// <summary>
    /// The log of <paramref name="topicPartition"/>, created in the log dir with the fewest partitions when it
    /// does not exist yet.
    /// </summary>
    public PartitionLog GetOrCreateLog(TopicPartition topicPartition, LogConfig? config = null)
    {
        if (_logs.TryGetValue(topicPartition, out PartitionLog? log))
        {
            return log;
        }

        if (!IsValidTopicName(topicPartition.Topic) || topicPartition.Partition < 0)
        {
            throw new ArgumentException($"'{topicPartition}' is not a valid topic partition.", nameof(topicPartition));
        }

        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_logs.TryGetValue(topicPartition, out log))
            {
                return log;
            }

            string directory = Path.Combine(LeastLoadedLogDir(), DirectoryName(topicPartition));
            // A new log in a dir that failed would fail too.
            log = PartitionLog.Open(directory, topicPartition, config ?? DefaultConfig, hadCleanShutdown: false, _logger, _time);
            log.BackgroundFlushFailed = OnBackgroundFlushFailed;
            _logs[topicPartition] = log;
            return log;
        }
    }

    public PartitionLog? GetLog(TopicPartition topicPartition) =>
        _logs.TryGetValue(topicPartition, out PartitionLog? log) ? log : null;

    /// <summary>The log dir that holds <paramref name="log"/>.</summary>
    public static string LogDirOf(PartitionLog log)
    {
        ArgumentNullException.ThrowIfNull(log);
        return Path.GetDirectoryName(log.Directory)!;
    }

    public bool IsLogDirOffline(string logDir) => _offlineDirs.ContainsKey(Path.GetFullPath(logDir));

    /// <summary>
    /// Takes <paramref name="logDir"/> offline after <paramref name="cause"/> (an I/O error in one of its logs): marks
    /// each of its logs offline and logs one error line, the first time only. Returns true when the dir was online.
    /// </summary>
    public bool MarkLogDirOffline(string logDir, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        string full = Path.GetFullPath(logDir);
        if (!_offlineDirs.TryAdd(full, cause.Message))
        {
            return false;
        }

        int count = 0;
        foreach (PartitionLog log in _logs.Values)
        {
            if (string.Equals(LogDirOf(log), full, StringComparison.Ordinal))
            {
                log.MarkOffline();
                count++;
            }
        }

        StorageLog.LogDirOffline(_logger, full, cause.Message, count, _logDirs.Length - _offlineDirs.Count, cause);
        return true;
    }

    /// <summary>
    /// Reports an exception from an operation on <paramref name="log"/>: an I/O error (other than the log already being
    /// offline) takes its log dir offline. Returns true when it was such an error.
    /// </summary>
    private void OnBackgroundFlushFailed(PartitionLog log, Exception cause) => HandleLogFailure(log, cause);

    public bool HandleLogFailure(PartitionLog log, Exception cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        if (cause is LogDirOfflineException)
        {
            return true;
        }

        if (cause is not (IOException or UnauthorizedAccessException))
        {
            return false;
        }

        MarkLogDirOffline(LogDirOf(log), cause);
        return true;
    }

    /// <summary>
    /// Starts group commit: a <see cref="GroupCommitFlusher"/> whose failed syncs take the log dir offline.
    /// <paramref name="sync"/> replaces fdatasync (tests count calls). Stopped by <see cref="Dispose"/>.
    /// </summary>
    public GroupCommitFlusher StartGroupCommit(Action<Microsoft.Win32.SafeHandles.SafeFileHandle>? sync = null)
    {
        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_groupCommit is not null)
            {
                throw new InvalidOperationException("Group commit is already running.");
            }

            var flusher = new GroupCommitFlusher((log, ex) => HandleLogFailure(log, ex), sync, _logger);
            Volatile.Write(ref _groupCommit, flusher);
            return flusher;
        }
    }

    /// <summary>
    /// Closes the log, renames its directory to <c>&lt;name&gt;.&lt;random&gt;-delete</c> and removes it.
    /// Returns false when there is no such log.
    /// </summary>
    public bool DeleteLog(TopicPartition topicPartition)
    {
        string renamed;
        lock (_createLock)
        {
            if (!_logs.TryRemove(topicPartition, out PartitionLog? log))
            {
                return false;
            }

            log.CloseForDeletion();
            string directory = log.Directory;
            string parent = Path.GetDirectoryName(directory)!;
            renamed = Path.Combine(
                parent,
                string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(directory)}.{Guid.NewGuid():N}{DeletedDirectorySuffix}"));
            Directory.Move(directory, renamed);
        }

        Directory.Delete(renamed, recursive: true);
        StorageLog.DeletedLog(_logger, topicPartition.ToString());
        return true;
    }

    /// <summary>Flushes every log's active segment to disk.</summary>
    public void FlushAll()
    {
        foreach (PartitionLog log in _logs.Values)
        {
            if (!log.IsOffline)
            {
                log.Flush();
            }
        }
    }

    /// <summary>
    /// Runs retention on every log (see <see cref="PartitionLog.DeleteOldSegments"/>); returns how many segments were
    /// removed. Their files go after <c>file.delete.delay.ms</c>, through <see cref="DeleteDueSegmentFiles"/>.
    /// </summary>
    public int RunRetention()
    {
        int removed = 0;
        foreach (PartitionLog log in _logs.Values)
        {
            removed += log.DeleteOldSegments();
        }

        return removed;
    }

    /// <summary>Removes, in every log, the producers idle for <paramref name="expirationMs"/> with no open transaction; returns how many.</summary>
    public int RemoveExpiredProducers(long expirationMs)
    {
        int removed = 0;
        foreach (PartitionLog log in _logs.Values)
        {
            if (!log.IsOffline)
            {
                removed += log.RemoveExpiredProducers(expirationMs);
            }
        }

        return removed;
    }

    /// <summary>Deletes the files of removed segments whose delay has passed, in every log; returns how many segments.</summary>
    public int DeleteDueSegmentFiles()
    {
        int deleted = 0;
        foreach (PartitionLog log in _logs.Values)
        {
            deleted += log.DeleteDueSegmentFiles();
        }

        return deleted;
    }

    /// <summary>Flushes every log whose <c>flush.ms</c> has passed with data unflushed; returns how many were flushed.</summary>
    public int FlushDirtyLogs()
    {
        int flushed = 0;
        foreach (PartitionLog log in _logs.Values)
        {
            try
            {
                if (log.FlushIfIntervalElapsed())
                {
                    flushed++;
                }
            }
            catch (ObjectDisposedException)
            {
                // Deleted meanwhile.
            }
            catch (Exception ex) when (HandleLogFailure(log, ex))
            {
                // The log dir is offline now; the other logs are flushed on.
            }
        }

        return flushed;
    }

    /// <summary>Writes each log dir's <c>recovery-point-offset-checkpoint</c>.</summary>
    public void CheckpointRecoveryPoints()
    {
        foreach (string logDir in _logDirs)
        {
            WriteCheckpoint(logDir, OffsetCheckpointFile.RecoveryPointFileName, log => log.RecoveryPoint);
        }
    }

    /// <summary>Writes each log dir's <c>log-start-offset-checkpoint</c>.</summary>
    public void CheckpointLogStartOffsets()
    {
        foreach (string logDir in _logDirs)
        {
            WriteCheckpoint(logDir, OffsetCheckpointFile.LogStartOffsetFileName, log => log.LogStartOffset);
        }
    }

    /// <summary>
    /// Starts the background loop that runs <see cref="RunRetention"/>, the checkpoints, <see cref="FlushDirtyLogs"/> and
    /// <see cref="DeleteDueSegmentFiles"/> at the intervals of <paramref name="options"/>, timed by the injected
    /// <see cref="TimeProvider"/>. A failing task logs one line and runs again at its next interval. Stopped by
    /// <see cref="Dispose"/>.
    /// </summary>
    public void StartBackgroundTasks(LogScheduleOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        lock (_createLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_backgroundLoop is not null)
            {
                throw new InvalidOperationException("The background tasks are already running.");
            }

            _backgroundStop = new CancellationTokenSource();
            CancellationToken stop = _backgroundStop.Token;
            _backgroundLoop = Task.Run(() => RunBackgroundLoopAsync(options, stop), CancellationToken.None);
        }
    }

    private async Task RunBackgroundLoopAsync(LogScheduleOptions options, CancellationToken stop)
    {
        (string Name, long IntervalMs, Action Run)[] tasks =
        [
            ("retention", options.RetentionCheckIntervalMs, () => RunRetention()),
            ("deleting removed segments", options.SegmentDeletionCheckIntervalMs, () => DeleteDueSegmentFiles()),
            ("flushing logs by flush.ms", options.FlushSchedulerIntervalMs, () => FlushDirtyLogs()),
            ("the recovery point checkpoint", options.RecoveryPointCheckpointIntervalMs, CheckpointRecoveryPoints),
            ("the log start offset checkpoint", options.LogStartOffsetCheckpointIntervalMs, CheckpointLogStartOffsets),
            ("removing expired producer ids", options.ProducerIdExpirationCheckIntervalMs, () => RemoveExpiredProducers(options.ProducerIdExpirationMs)),
        ];
        long start = _time.GetTimestamp();
        long[] nextDueMs = new long[tasks.Length];
        for (int i = 0; i < tasks.Length; i++)
        {
            nextDueMs[i] = tasks[i].IntervalMs == long.MaxValue ? long.MaxValue : tasks[i].IntervalMs;
        }

        while (!stop.IsCancellationRequested)
        {
            long earliest = nextDueMs.Min();
            if (earliest == long.MaxValue)
            {
                return;
            }

            long nowMs = (long)_time.GetElapsedTime(start).TotalMilliseconds;
            if (earliest > nowMs)
            {
                try
                {
                    // Capped so the wait stays within Task.Delay's range; the loop re-checks.
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(earliest - nowMs, 3_600_000)), _time, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            for (int i = 0; i < tasks.Length; i++)
            {
                if (nextDueMs[i] > nowMs)
                {
                    continue;
                }

                try
                {
                    tasks[i].Run();
                }
                catch (Exception ex)
                {
                    // The loop outlives a failing task: it logs and retries at the next interval.
                    StorageLog.BackgroundTaskFailed(_logger, string.Join(',', _logDirs), tasks[i].Name, ex);
                }

                nextDueMs[i] = nowMs + tasks[i].IntervalMs;
            }
        }
    }

    private void StopBackgroundTasks()
    {
        if (_backgroundStop is null)
        {
            return;
        }

        _backgroundStop.Cancel();
        try
        {
            _backgroundLoop!.Wait();
        }
        catch (AggregateException ex) when (ex.InnerException is OperationCanceledException)
        {
            // Stopped while waiting: the expected way out.
        }

        _backgroundStop.Dispose();
        _backgroundStop = null;
        _backgroundLoop = null;
    }

    private void WriteCheckpoints(string logDir)
    {
        WriteCheckpoint(logDir, OffsetCheckpointFile.RecoveryPointFileName, log => log.RecoveryPoint);
        WriteCheckpoint(logDir, OffsetCheckpointFile.LogStartOffsetFileName, log => log.LogStartOffset);
    }

    /// <summary>Writes one checkpoint file of <paramref name="logDir"/> with <paramref name="offsetOf"/> of each of its logs.</summary>
    private void WriteCheckpoint(string logDir, string fileName, Func<PartitionLog, long> offsetOf)
    {
        if (_offlineDirs.ContainsKey(logDir))
        {
            return;
        }

        var entries = new List<KeyValuePair<TopicPartition, long>>();
        foreach (PartitionLog log in _logs.Values)
        {
            if (string.Equals(Path.GetDirectoryName(log.Directory), logDir, StringComparison.Ordinal))
            {
                entries.Add(new(log.TopicPartition, offsetOf(log)));
            }
        }

        lock (_checkpointLock)
        {
            if (Directory.Exists(logDir))
            {
                new OffsetCheckpointFile(Path.Combine(logDir, fileName)).Write(entries);
            }
        }
    }

    /// <summary>
    /// The recovery points of <paramref name="logDir"/>; an unreadable file is logged and treated as empty, which
    /// recovers every segment (safe, only slower).
    /// </summary>
    private Dictionary<TopicPartition, long> ReadRecoveryPoints(string logDir)
    {
        try
        {
            return new OffsetCheckpointFile(Path.Combine(logDir, OffsetCheckpointFile.RecoveryPointFileName)).Read();
        }
        catch (InvalidDataException ex)
        {
            StorageLog.UnreadableRecoveryPoints(_logger, logDir, ex);
            return [];
        }
    }

    /// <summary>
    /// Stops the background tasks, then flushes and closes every log. After <see cref="LoadLogs"/> has run, it then
    /// writes each log dir's checkpoints and marks each dir whose logs all closed cleanly so the next start-up skips
    /// recovery (without LoadLogs the dir may hold logs never recovered).
    /// </summary>
    public void Dispose()
    {
        lock (_createLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            StopBackgroundTasks();
            _groupCommit?.Dispose();
            var failedDirs = new HashSet<string>(_offlineDirs.Keys, StringComparer.Ordinal);
            foreach (PartitionLog log in _logs.Values)
            {
                try
                {
                    log.Dispose();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    failedDirs.Add(Path.GetDirectoryName(log.Directory)!);
                    StorageLog.CloseFailed(_logger, log.TopicPartition.ToString(), ex);
                }
            }

            if (_loaded)
            {
                foreach (string logDir in _logDirs)
                {
                    try
                    {
                        WriteCheckpoints(logDir);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        failedDirs.Add(logDir);
                        StorageLog.BackgroundTaskFailed(_logger, logDir, "writing the checkpoints at shutdown", ex);
                    }
                }
            }

            _logs.Clear();
            foreach (string logDir in _logDirs)
            {
                if (_loaded && !failedDirs.Contains(logDir) && Directory.Exists(logDir))
                {
                    File.WriteAllBytes(Path.Combine(logDir, CleanShutdownFileName), []);
                }
            }
        }
    }

    /// <summary>The directory name of a partition's log: <c>&lt;topic&gt;-&lt;partition&gt;</c>.</summary>
    public static string DirectoryName(TopicPartition topicPartition) =>
        string.Create(CultureInfo.InvariantCulture, $"{topicPartition.Topic}-{topicPartition.Partition}");

    /// <summary>
    /// Parses <c>&lt;topic&gt;-&lt;partition&gt;</c>: the partition is the decimal number after the last '-', the topic
    /// a legal topic name before it.
    /// </summary>
    public static bool TryParseLogDirectoryName(string name, out TopicPartition topicPartition)
    {
        topicPartition = default;
        int dash = name.LastIndexOf('-');
        if (dash <= 0 || dash == name.Length - 1)
        {
            return false;
        }

        ReadOnlySpan<char> digits = name.AsSpan(dash + 1);
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int partition))
        {
            return false;
        }

        string topic = name[..dash];
        if (!IsValidTopicName(topic))
        {
            return false;
        }

        topicPartition = new TopicPartition(topic, partition);
        return true;
    }

    /// <summary>Kafka's rule: 1 to 249 characters from <c>[a-zA-Z0-9._-]</c>, and not "." or "..".</summary>
    public static bool IsValidTopicName(string topic)
    {
        if (string.IsNullOrEmpty(topic) || topic.Length > MaxTopicNameLength || topic is "." or "..")
        {
            return false;
        }

        foreach (char c in topic)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private string LeastLoadedLogDir()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (PartitionLog log in _logs.Values)
        {
            string parent = Path.GetDirectoryName(log.Directory)!;
            counts[parent] = counts.GetValueOrDefault(parent) + 1;
        }

        string? best = null;
        int bestCount = int.MaxValue;
        foreach (string dir in _logDirs)
        {
            if (_offlineDirs.ContainsKey(dir))
            {
                continue;
            }

            int count = counts.GetValueOrDefault(dir);
            if (count < bestCount)
            {
                best = dir;
                bestCount = count;
            }
        }

        return best ?? throw new LogDirOfflineException($"Every log dir is offline: {string.Join(", ", _logDirs)}.");
    }
}
