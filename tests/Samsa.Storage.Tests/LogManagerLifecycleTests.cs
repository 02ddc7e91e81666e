using Microsoft.Extensions.Logging;
using Samsa.Protocol;

namespace Samsa.Storage.Tests;

/// <summary>LogManager's checkpoints, retention pass and background tasks.</summary>
public sealed class LogManagerLifecycleTests : IDisposable
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 1024, RetentionMs = -1, FileDeleteDelayMs = 0 };
    private readonly TempDir _dir = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("data");

    private LogManager NewManager(ListLogger? logger = null, TimeProvider? time = null) =>
        new([LogDir], SmallSegments, logger, time ?? _time);

    /// <summary>Appends batches of about 400 bytes until the log has <paramref name="segments"/> segments.</summary>
    private static void FillSegments(PartitionLog log, int segments)
    {
        while (log.SegmentCount < segments)
        {
            log.Append(Batches.Numbered("r" + log.LogEndOffset, 2, padding: 180), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
    }

    private Dictionary<TopicPartition, long> ReadCheckpoint(string name) =>
        new OffsetCheckpointFile(Path.Combine(LogDir, name)).Read();

    [Fact]
    public void Log_start_offsets_survive_a_clean_restart()
    {
        var tp = new TopicPartition("orders", 0);
        using (LogManager manager = NewManager())
        {
            manager.LoadLogs();
            PartitionLog log = manager.GetOrCreateLog(tp);
            FillSegments(log, 3);
            log.DeleteRecordsBefore(3);
        }

        Assert.Equal(3, ReadCheckpoint(OffsetCheckpointFile.LogStartOffsetFileName)[tp]);
        using LogManager reloaded = NewManager();
        reloaded.LoadLogs();
        Assert.Equal(3, reloaded.GetLog(tp)!.LogStartOffset);
        Assert.Equal(Protocol.ErrorCode.OffsetOutOfRange, reloaded.GetLog(tp)!.Read(2, 100, true, long.MaxValue).Error);
    }

    [Fact]
    public void Log_start_offsets_survive_a_crash_after_the_periodic_checkpoint()
    {
        var tp = new TopicPartition("orders", 0);
        using (LogManager manager = NewManager())
        {
            manager.LoadLogs();
            PartitionLog log = manager.GetOrCreateLog(tp);
            FillSegments(log, 3);
            log.DeleteRecordsBefore(5);
            manager.CheckpointLogStartOffsets();
            Assert.Equal(5, ReadCheckpoint(OffsetCheckpointFile.LogStartOffsetFileName)[tp]);

            // A crash: the logs are never closed, the checkpoint files stay as last written.
            File.Copy(Path.Combine(LogDir, OffsetCheckpointFile.LogStartOffsetFileName), _dir.Combine("saved"));
        }

        File.Delete(Path.Combine(LogDir, LogManager.CleanShutdownFileName));
        File.Copy(_dir.Combine("saved"), Path.Combine(LogDir, OffsetCheckpointFile.LogStartOffsetFileName), overwrite: true);
        File.Delete(Path.Combine(LogDir, OffsetCheckpointFile.RecoveryPointFileName));
        using LogManager reloaded = NewManager();
        reloaded.LoadLogs();
        Assert.Equal(5, reloaded.GetLog(tp)!.LogStartOffset);
    }

    [Fact]
    public void Recovery_points_are_checkpointed_and_limit_recovery_after_a_crash()
    {
        var tp = new TopicPartition("orders", 0);
        long activeBase;
        using (LogManager manager = NewManager())
        {
            manager.LoadLogs();
            PartitionLog log = manager.GetOrCreateLog(tp);
            FillSegments(log, 4);
            activeBase = log.Segments[^1].BaseOffset;
            long rolledEnd = activeBase;
            Assert.True(SpinWait.SpinUntil(() => log.RecoveryPoint == rolledEnd, TimeSpan.FromSeconds(10)), "the rolled segments were not flushed");
            manager.CheckpointRecoveryPoints();
            Assert.Equal(activeBase, ReadCheckpoint(OffsetCheckpointFile.RecoveryPointFileName)[tp]);
        }

        Assert.Equal(
            ReadCheckpoint(OffsetCheckpointFile.LogStartOffsetFileName).Keys,
            ReadCheckpoint(OffsetCheckpointFile.RecoveryPointFileName).Keys);
        File.Delete(Path.Combine(LogDir, LogManager.CleanShutdownFileName));
        new OffsetCheckpointFile(Path.Combine(LogDir, OffsetCheckpointFile.RecoveryPointFileName)).Write([new(tp, activeBase)]);

        var logger = new ListLogger();
        using LogManager reloaded = NewManager(logger);
        reloaded.LoadLogs();
        Assert.Contains(logger.Lines, l => l.Message.Contains("orders-0: recovery checked 1 segments from offset " + activeBase, StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_recovery_point_checkpoint_recovers_everything()
    {
        var tp = new TopicPartition("orders", 0);
        using (LogManager manager = NewManager())
        {
            manager.LoadLogs();
            FillSegments(manager.GetOrCreateLog(tp), 3);
        }

        File.Delete(Path.Combine(LogDir, LogManager.CleanShutdownFileName));
        File.WriteAllText(Path.Combine(LogDir, OffsetCheckpointFile.RecoveryPointFileName), "0\n1\ngarbage\n");
        var logger = new ListLogger();
        using LogManager reloaded = NewManager(logger);
        reloaded.LoadLogs();
        Assert.Contains(logger.Lines, l => l.Level == LogLevel.Error && l.Message.Contains("recovery point checkpoint is unreadable", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.Message.Contains("recovery checked 3 segments from offset 0", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unreadable_log_start_checkpoint_fails_the_load_naming_the_file_and_line()
    {
        Directory.CreateDirectory(LogDir);
        string path = Path.Combine(LogDir, OffsetCheckpointFile.LogStartOffsetFileName);
        File.WriteAllText(path, "0\n1\norders 0 five\n");
        using LogManager manager = NewManager();
        var error = Assert.Throws<InvalidDataException>(() => manager.LoadLogs());
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunRetention_applies_each_logs_own_config_and_deleted_files_go_after_the_delay()
    {
        var expiring = new TopicPartition("expiring", 0);
        var kept = new TopicPartition("kept", 0);
        using LogManager manager = NewManager();
        manager.LoadLogs();
        PartitionLog expiringLog = manager.GetOrCreateLog(expiring, SmallSegments with { RetentionMs = 1000, FileDeleteDelayMs = 30_000 });
        PartitionLog keptLog = manager.GetOrCreateLog(kept);
        FillSegments(expiringLog, 3);
        FillSegments(keptLog, 3);

        // The batches carry timestamps from 2023; the clock is in 2024.
        Assert.Equal(2, manager.RunRetention());
        Assert.Equal(1, expiringLog.SegmentCount);
        Assert.Equal(3, keptLog.SegmentCount);
        Assert.Equal(0, manager.DeleteDueSegmentFiles());
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(2, manager.DeleteDueSegmentFiles());
        Assert.Empty(Directory.GetFiles(expiringLog.Directory, "*" + PartitionLog.DeletedFileSuffix));
    }

    [Fact]
    public void FlushDirtyLogs_flushes_logs_whose_flush_ms_has_passed()
    {
        using LogManager manager = NewManager();
        manager.LoadLogs();
        PartitionLog log = manager.GetOrCreateLog(new TopicPartition("orders", 0), SmallSegments with { FlushIntervalMs = 1000 });
        log.Append(Batches.Make("a"), 0);
        Assert.Equal(0, log.RecoveryPoint);
        Assert.Equal(0, manager.FlushDirtyLogs());
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, manager.FlushDirtyLogs());
        Assert.Equal(1, log.RecoveryPoint);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, manager.FlushDirtyLogs());
    }

    [Fact]
    public async Task Background_tasks_run_retention_deletions_and_checkpoints_on_their_own()
    {
        var tp = new TopicPartition("expiring", 0);
        using LogManager manager = NewManager(time: TimeProvider.System);
        manager.LoadLogs();
        PartitionLog log = manager.GetOrCreateLog(tp, SmallSegments with { RetentionMs = 1000 });
        FillSegments(log, 3);
        manager.StartBackgroundTasks(new LogScheduleOptions
        {
            RetentionCheckIntervalMs = 20,
            SegmentDeletionCheckIntervalMs = 20,
            RecoveryPointCheckpointIntervalMs = 20,
            LogStartOffsetCheckpointIntervalMs = 20,
        });
        Assert.Throws<InvalidOperationException>(() => manager.StartBackgroundTasks(new LogScheduleOptions()));

        DateTime deadline = DateTime.UtcNow.AddSeconds(20);
        while (!(log.SegmentCount == 1
            && Directory.GetFiles(log.Directory, "*" + PartitionLog.DeletedFileSuffix).Length == 0
            && File.Exists(Path.Combine(LogDir, OffsetCheckpointFile.LogStartOffsetFileName))
            && ReadCheckpoint(OffsetCheckpointFile.LogStartOffsetFileName).GetValueOrDefault(tp) == log.LogStartOffset
            && ReadCheckpoint(OffsetCheckpointFile.RecoveryPointFileName).ContainsKey(tp)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the background tasks did not run");
            await Task.Delay(10);
        }

        Assert.True(log.LogStartOffset > 0);
    }
}
