using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>Retention, DeleteRecords and the delayed deletion of removed segments, on a manual clock.</summary>
public sealed class RetentionTests : IDisposable
{
    private static readonly TopicPartition Tp = new("metrics", 0);
    private readonly TempDir _dir = new();
    private readonly ManualTimeProvider _time = new();

    /// <summary>Small segments: each batch of <see cref="AppendSegment"/> (about 700 bytes) fills one.</summary>
    private static readonly LogConfig SmallSegments = LogConfig.Default with
    {
        SegmentBytes = 1024,
        IndexIntervalBytes = 64,
        RetentionMs = -1,
        RetentionBytes = -1,
        FileDeleteDelayMs = 60_000,
    };

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("metrics-0");

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private PartitionLog Open(LogConfig config, long logStartOffset = 0) =>
        PartitionLog.Open(LogDir, Tp, config, hadCleanShutdown: true, logger: null, timeProvider: _time, logStartOffset: logStartOffset);

    /// <summary>
    /// Appends one batch of <paramref name="records"/> records stamped <paramref name="timestamp"/>, large enough that
    /// the next append rolls a new segment, and moves the high watermark to the log end.
    /// </summary>
    private static void AppendSegment(PartitionLog log, long timestamp, int records = 3)
    {
        using var builder = new RecordBatchBuilder();
        for (int i = 0; i < records; i++)
        {
            builder.Append(timestamp, null, System.Text.Encoding.UTF8.GetBytes("v" + (log.LogEndOffset + i) + new string('.', 200)));
        }

        log.Append(builder.ToArray(), leaderEpoch: 0);
        log.UpdateHighWatermark(log.LogEndOffset);
    }

    private static long[] BaseOffsets(PartitionLog log) => [.. log.Segments.Select(s => s.BaseOffset)];

    private static List<StoredRecord> ReadFromStart(PartitionLog log) => Batches.ReadAll(log, log.LogStartOffset);

    [Fact]
    public void Retention_by_time_deletes_the_oldest_segments_and_stops_at_the_first_to_keep()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionMs = 5 * 3_600_000 });
        long hour = 3_600_000;
        AppendSegment(log, NowMs - 10 * hour);
        AppendSegment(log, NowMs - 9 * hour);
        AppendSegment(log, NowMs - 1 * hour);
        AppendSegment(log, NowMs - 10 * hour);
        AppendSegment(log, NowMs - 10 * hour);
        Assert.Equal([0L, 3, 6, 9, 12], BaseOffsets(log));

        Assert.Equal(2, log.DeleteOldSegments());

        Assert.Equal([6L, 9, 12], BaseOffsets(log));
        Assert.Equal(6, log.LogStartOffset);
        Assert.Equal(15, log.LogEndOffset);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(5, 1 << 20, true, log.HighWatermark).Error);
        Assert.Equal(Enumerable.Range(6, 9).Select(i => (long)i), ReadFromStart(log).Select(r => r.Offset));

        _time.Advance(TimeSpan.FromHours(5));
        Assert.Equal(2, log.DeleteOldSegments());
        Assert.Equal([12L], BaseOffsets(log));
    }

    [Fact]
    public void Updated_config_applies_to_the_next_retention_run_and_roll()
    {
        using PartitionLog log = Open(SmallSegments);
        long hour = 3_600_000;
        AppendSegment(log, NowMs - 10 * hour);
        AppendSegment(log, NowMs - 9 * hour);
        AppendSegment(log, NowMs);
        Assert.Equal(0, log.DeleteOldSegments());

        log.UpdateConfig(log.Config with { RetentionMs = 5 * hour, SegmentBytes = 64 * 1024 });

        Assert.Equal(5 * hour, log.Config.RetentionMs);
        Assert.Equal(2, log.DeleteOldSegments());
        Assert.Equal([6L], BaseOffsets(log));
        AppendSegment(log, NowMs);
        AppendSegment(log, NowMs);
        Assert.Equal([6L], BaseOffsets(log));
        Assert.Throws<ArgumentException>(() => log.UpdateConfig(log.Config with { SegmentBytes = 10 }));
        Assert.Equal(64 * 1024, log.Config.SegmentBytes);
    }

    [Fact]
    public void Retention_never_deletes_the_active_segment_and_appends_continue()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionMs = 1000 });
        for (int i = 0; i < 3; i++)
        {
            AppendSegment(log, NowMs - 100_000);
        }

        Assert.Equal(2, log.DeleteOldSegments());
        Assert.Equal(0, log.DeleteOldSegments());
        Assert.Equal([6L], BaseOffsets(log));
        Assert.Equal(6, log.LogStartOffset);
        Assert.Equal(9, log.LogEndOffset);

        AppendSegment(log, NowMs);
        Assert.Equal(Enumerable.Range(6, 6).Select(i => (long)i), ReadFromStart(log).Select(r => r.Offset));
    }

    [Fact]
    public void Retention_by_time_ignores_segments_newer_than_retention_ms()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionMs = 60_000 });
        AppendSegment(log, NowMs - 59_000);
        AppendSegment(log, NowMs - 30_000);
        AppendSegment(log, NowMs);
        Assert.Equal(0, log.DeleteOldSegments());

        _time.Advance(TimeSpan.FromMilliseconds(1_001));
        Assert.Equal(1, log.DeleteOldSegments());
        Assert.Equal([3L, 6], BaseOffsets(log));
    }

    [Fact]
    public void Retention_by_size_deletes_oldest_segments_while_the_rest_stays_at_least_retention_bytes()
    {
        using PartitionLog log = Open(SmallSegments);
        for (int i = 0; i < 6; i++)
        {
            AppendSegment(log, NowMs);
        }

        // Exactly the four newest segments: the two oldest go, the third would take the log below the limit.
        long retentionBytes = log.Segments.Skip(2).Sum(s => s.Size);

        using PartitionLog sized = ReopenWith(log, SmallSegments with { RetentionBytes = retentionBytes });
        Assert.Equal(2, sized.DeleteOldSegments());
        Assert.Equal([6L, 9, 12, 15], BaseOffsets(sized));
        Assert.Equal(retentionBytes, sized.Size);
        Assert.Equal(6, sized.LogStartOffset);
        Assert.Equal(0, sized.DeleteOldSegments());
    }

    [Fact]
    public void Retention_bytes_smaller_than_the_active_segment_keeps_only_the_active_segment()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionBytes = 0 });
        for (int i = 0; i < 4; i++)
        {
            AppendSegment(log, NowMs);
        }

        Assert.Equal(3, log.DeleteOldSegments());
        Assert.Equal([9L], BaseOffsets(log));
    }

    [Fact]
    public void Retention_only_deletes_segments_entirely_below_the_high_watermark()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionMs = 1000 });
        for (int i = 0; i < 4; i++)
        {
            AppendSegment(log, NowMs - 100_000);
        }

        // Segment 0 holds 0..2 and segment 1 holds 3..5: with the high watermark at 5, only segment 0 is below it.
        Assert.Equal(5, log.UpdateHighWatermark(5));
        Assert.Equal(1, log.DeleteOldSegments());
        Assert.Equal([3L, 6, 9], BaseOffsets(log));
    }

    [Fact]
    public void Unlimited_retention_deletes_nothing()
    {
        using PartitionLog log = Open(SmallSegments);
        for (int i = 0; i < 4; i++)
        {
            AppendSegment(log, 0);
        }

        Assert.Equal(0, log.DeleteOldSegments());
        Assert.Equal(4, log.SegmentCount);
    }

    [Fact]
    public void Without_the_delete_policy_retention_keeps_old_segments_but_log_start_still_removes_them()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionMs = 1000, RetentionBytes = 0, Delete = false, Compact = true });
        for (int i = 0; i < 4; i++)
        {
            AppendSegment(log, NowMs - 100_000);
        }

        Assert.Equal(0, log.DeleteOldSegments());
        Assert.Equal(4, log.SegmentCount);

        Assert.Equal(7, log.DeleteRecordsBefore(7));
        Assert.Equal([6L, 9], BaseOffsets(log));
    }

    [Fact]
    public void DeleteRecordsBefore_moves_the_log_start_and_removes_whole_segments_below_it()
    {
        using PartitionLog log = Open(SmallSegments);
        for (int i = 0; i < 4; i++)
        {
            AppendSegment(log, NowMs);
        }

        Assert.Equal(4, log.DeleteRecordsBefore(4));
        Assert.Equal(4, log.LogStartOffset);
        Assert.Equal([3L, 6, 9], BaseOffsets(log));
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(3, 1 << 20, true, log.HighWatermark).Error);
        LogReadResult fromStart = log.Read(4, 1 << 20, true, log.HighWatermark);
        Assert.Equal(ErrorCode.None, fromStart.Error);
        Assert.Equal(4, fromStart.LogStartOffset);
        Assert.Equal(Enumerable.Range(4, 8).Select(i => (long)i), ReadFromStart(log).Where(r => r.Offset >= 4).Select(r => r.Offset));

        // It never moves back.
        Assert.Equal(4, log.DeleteRecordsBefore(1));
        Assert.Equal(4, log.LogStartOffset);
    }

    [Fact]
    public void DeleteRecordsBefore_refuses_offsets_above_the_high_watermark()
    {
        using PartitionLog log = Open(SmallSegments);
        AppendSegment(log, NowMs);
        AppendSegment(log, NowMs);
        log.UpdateHighWatermark(4);

        Assert.Throws<ArgumentOutOfRangeException>(() => log.DeleteRecordsBefore(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.DeleteRecordsBefore(-1));
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(4, log.DeleteRecordsBefore(4));
    }

    [Fact]
    public void DeleteRecordsBefore_the_high_watermark_empties_the_log_but_keeps_the_active_segment()
    {
        using PartitionLog log = Open(SmallSegments);
        for (int i = 0; i < 3; i++)
        {
            AppendSegment(log, NowMs);
        }

        Assert.Equal(9, log.DeleteRecordsBefore(log.HighWatermark));
        Assert.Equal([6L], BaseOffsets(log));
        LogReadResult read = log.Read(9, 1 << 20, true, log.HighWatermark);
        Assert.Equal(ErrorCode.None, read.Error);
        Assert.Equal(0, read.Length);
        AppendSegment(log, NowMs);
        Assert.Equal([9L, 10, 11], ReadFromStart(log).Select(r => r.Offset));
    }

    [Fact]
    public void Log_start_offset_from_the_checkpoint_is_clamped_to_the_segments()
    {
        using (PartitionLog log = Open(SmallSegments))
        {
            AppendSegment(log, NowMs);
            AppendSegment(log, NowMs);
            log.DeleteRecordsBefore(4);
        }

        using (PartitionLog reopened = Open(SmallSegments, logStartOffset: 5))
        {
            Assert.Equal(5, reopened.LogStartOffset);
            Assert.Equal(ErrorCode.OffsetOutOfRange, reopened.Read(4, 100, true, 6).Error);
        }

        using (PartitionLog reopened = Open(SmallSegments, logStartOffset: 1))
        {
            Assert.Equal(3, reopened.LogStartOffset);
        }

        using (PartitionLog reopened = Open(SmallSegments, logStartOffset: 100))
        {
            Assert.Equal(6, reopened.LogStartOffset);
        }
    }

    [Fact]
    public void A_slice_taken_before_retention_stays_readable_until_the_delete_delay_has_passed()
    {
        using PartitionLog log = Open(SmallSegments with { RetentionMs = 1000 });
        for (int i = 0; i < 3; i++)
        {
            AppendSegment(log, NowMs - 100_000);
        }

        LogReadResult inFlight = log.Read(0, 1 << 20, true, log.HighWatermark);
        string firstLog = Path.Combine(LogDir, LogSegment.FileName(0, ".log"));
        string firstIndex = Path.Combine(LogDir, LogSegment.FileName(0, ".index"));

        Assert.Equal(2, log.DeleteOldSegments());
        Assert.False(File.Exists(firstLog));
        Assert.True(File.Exists(firstLog + PartitionLog.DeletedFileSuffix));
        Assert.True(File.Exists(firstIndex + PartitionLog.DeletedFileSuffix));
        Assert.Equal(2, log.PendingSegmentDeletions);

        Assert.Equal(0, log.DeleteDueSegmentFiles());
        _time.Advance(TimeSpan.FromMilliseconds(59_999));
        Assert.Equal(0, log.DeleteDueSegmentFiles());
        Assert.Equal([0L, 1, 2], Batches.Parse(inFlight).Select(r => r.Offset));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, log.DeleteDueSegmentFiles());
        Assert.Equal(0, log.PendingSegmentDeletions);
        Assert.Empty(Directory.GetFiles(LogDir, "*" + PartitionLog.DeletedFileSuffix));
        // The active segment (.log, .index, .timeindex) and the producer-state snapshot taken when it rolled in.
        Assert.Equal(
            [LogSegment.FileName(6, ".index"), LogSegment.FileName(6, ".log"), LogSegment.FileName(6, ProducerStateManager.SnapshotFileSuffix), LogSegment.FileName(6, ".timeindex")],
            Directory.GetFiles(LogDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Closing_the_log_deletes_segments_still_waiting_for_their_delay()
    {
        using (PartitionLog log = Open(SmallSegments with { RetentionMs = 1000 }))
        {
            for (int i = 0; i < 3; i++)
            {
                AppendSegment(log, NowMs - 100_000);
            }

            Assert.Equal(2, log.DeleteOldSegments());
        }

        Assert.Empty(Directory.GetFiles(LogDir, "*" + PartitionLog.DeletedFileSuffix));
        using PartitionLog reopened = Open(SmallSegments);
        Assert.Equal([6L], BaseOffsets(reopened));
        Assert.Equal(6, reopened.LogStartOffset);
    }

    [Fact]
    public void Leftover_deleted_files_are_removed_when_the_log_opens()
    {
        using (PartitionLog log = Open(SmallSegments))
        {
            AppendSegment(log, NowMs);
        }

        string leftover = Path.Combine(LogDir, LogSegment.FileName(0, ".log")) + PartitionLog.DeletedFileSuffix;
        File.Copy(Path.Combine(LogDir, LogSegment.FileName(0, ".log")), leftover);
        using PartitionLog reopened = Open(SmallSegments);
        Assert.False(File.Exists(leftover));
        Assert.Equal(3, reopened.LogEndOffset);
    }

    [Fact]
    public void Truncation_removes_later_segments_through_the_same_delayed_deletion()
    {
        using PartitionLog log = Open(SmallSegments);
        for (int i = 0; i < 4; i++)
        {
            AppendSegment(log, NowMs);
        }

        LogReadResult inFlight = log.Read(9, 1 << 20, true, log.HighWatermark);
        log.TruncateTo(4);
        Assert.Equal(3, log.LogEndOffset);
        Assert.Equal(2, log.PendingSegmentDeletions);
        Assert.Equal([9L, 10, 11], Batches.Parse(inFlight).Select(r => r.Offset));

        // The truncated offsets are reused by new segments while the old files wait.
        AppendSegment(log, NowMs);
        AppendSegment(log, NowMs);
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), ReadFromStart(log).Select(r => r.Offset));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, log.DeleteDueSegmentFiles());
        Assert.Equal(Enumerable.Range(0, 9).Select(i => (long)i), ReadFromStart(log).Select(r => r.Offset));
    }

    /// <summary>Closes <paramref name="log"/> and opens its directory again with <paramref name="config"/>.</summary>
    private PartitionLog ReopenWith(PartitionLog log, LogConfig config)
    {
        log.Dispose();
        return Open(config);
    }
}
