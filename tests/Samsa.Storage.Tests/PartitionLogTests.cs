using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

public sealed class PartitionLogTests : IDisposable
{
    private static readonly TopicPartition Tp = new("orders", 3);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("orders-3");

    private PartitionLog Open(LogConfig? config = null, bool clean = false, ListLogger? logger = null) =>
        PartitionLog.Open(LogDir, Tp, config ?? LogConfig.Default, clean, logger);

    /// <summary>Appends batches of <paramref name="recordsPerBatch"/> records labelled by their expected offset.</summary>
    private static List<LogAppendResult> AppendNumbered(PartitionLog log, int batches, int recordsPerBatch, int padding = 0, int leaderEpoch = 0)
    {
        var results = new List<LogAppendResult>();
        for (int i = 0; i < batches; i++)
        {
            long first = log.LogEndOffset;
            var values = new string[recordsPerBatch];
            for (int r = 0; r < recordsPerBatch; r++)
            {
                values[r] = "v" + (first + r) + new string('.', padding);
            }

            byte[] batch = Batches.Make(values);
            Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out _));
            results.Add(log.Append(batch, leaderEpoch));
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        return results;
    }

    private static void AssertContiguous(List<StoredRecord> records, long from, long toExclusive)
    {
        Assert.Equal(toExclusive - from, records.Count);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.Equal(from + i, records[i].Offset);
            Assert.StartsWith("v" + (from + i), records[i].Value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void New_log_is_empty_at_offset_zero()
    {
        using PartitionLog log = Open();
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(0, log.LogEndOffset);
        Assert.Equal(0, log.HighWatermark);
        LogReadResult result = log.Read(0, 1000, true, log.HighWatermark);
        Assert.Equal(ErrorCode.None, result.Error);
        Assert.Equal(0, result.Length);
        Assert.True(File.Exists(Path.Combine(LogDir, "00000000000000000000.log")));
    }

    [Fact]
    public void Append_assigns_offsets_and_stamps_base_offset_and_leader_epoch()
    {
        using PartitionLog log = Open();
        LogAppendResult first = log.Append(Batches.Make("a", "b", "c"), leaderEpoch: 7);
        LogAppendResult second = log.Append(Batches.Make("d"), leaderEpoch: 8);
        Assert.Equal(new LogAppendResult(0, 2, 3, 0), first);
        Assert.Equal(new LogAppendResult(3, 3, 1, 0), second);
        Assert.Equal(4, log.LogEndOffset);

        LogReadResult result = log.Read(0, 1 << 20, true, log.LogEndOffset);
        List<StoredRecord> records = Batches.Parse(result);
        Assert.Equal(
            [new(0, 7, "a"), new(1, 7, "b"), new(2, 7, "c"), new(3, 8, "d")],
            records);
        Assert.Equal(0, result.HighWatermark);
        Assert.Equal(0, log.HighWatermark);
        Assert.Equal(4, result.LogEndOffset);
        Assert.Equal(0, result.LogStartOffset);
        Assert.NotNull(result.FileHandle);
        Assert.Equal(0, result.FilePosition);
    }

    [Fact]
    public void Append_stamps_the_callers_buffer_in_place()
    {
        using PartitionLog log = Open();
        log.Append(Batches.Make("x", "y"), 0);
        byte[] batch = Batches.Make("z");
        log.Append(batch, 3);
        RecordBatchHeader.TryRead(batch, out RecordBatchHeader header);
        Assert.Equal(2, header.BaseOffset);
        Assert.Equal(3, header.PartitionLeaderEpoch);
        Assert.True(RecordBatch.IsCrcValid(batch));
    }

    [Fact]
    public void Read_from_the_middle_of_a_batch_starts_at_that_batch()
    {
        using PartitionLog log = Open();
        AppendNumbered(log, batches: 3, recordsPerBatch: 10);
        LogReadResult result = log.Read(15, 1 << 20, true, log.HighWatermark);
        RecordBatchHeader header = Batches.FirstHeader(result);
        Assert.Equal(10, header.BaseOffset);
        AssertContiguous(Batches.Parse(result), 10, 30);
    }

    [Fact]
    public void Max_bytes_returns_whole_batches_only()
    {
        using PartitionLog log = Open();
        AppendNumbered(log, batches: 5, recordsPerBatch: 4);
        int batchSize = Batches.Make("v0", "v1", "v2", "v3").Length;

        LogReadResult two = log.Read(0, (2 * batchSize) + (batchSize / 2), minOneBatch: false, log.HighWatermark);
        Assert.Equal(2 * batchSize, two.Length);
        Assert.Equal(2, Batches.BatchCount(two));

        LogReadResult none = log.Read(0, batchSize - 1, minOneBatch: false, log.HighWatermark);
        Assert.Equal(ErrorCode.None, none.Error);
        Assert.Equal(0, none.Length);

        LogReadResult one = log.Read(0, batchSize - 1, minOneBatch: true, log.HighWatermark);
        Assert.Equal(batchSize, one.Length);
        AssertContiguous(Batches.Parse(one), 0, 4);
    }

    [Fact]
    public void Min_one_batch_returns_a_batch_larger_than_max_bytes()
    {
        using PartitionLog log = Open();
        log.Append(Batches.Make(new string('x', 10_000)), 0);
        log.UpdateHighWatermark(log.LogEndOffset);
        LogReadResult result = log.Read(0, 100, minOneBatch: true, log.HighWatermark);
        Assert.True(result.Length > 10_000);
        Assert.Single(Batches.Parse(result));
    }

    [Fact]
    public void Segments_roll_by_size_and_every_record_is_read_back_in_order()
    {
        var config = LogConfig.Default with { SegmentBytes = 4096, IndexIntervalBytes = 256 };
        using PartitionLog log = Open(config);
        AppendNumbered(log, batches: 200, recordsPerBatch: 3, padding: 10);
        Assert.True(log.SegmentCount > 5, $"only {log.SegmentCount} segments");
        foreach (LogSegment segment in log.Segments)
        {
            Assert.True(segment.Size <= 4096);
        }

        for (int i = 1; i < log.Segments.Count; i++)
        {
            Assert.Equal(log.Segments[i - 1].NextOffset, log.Segments[i].BaseOffset);
            Assert.True(File.Exists(Path.Combine(LogDir, LogSegment.FileName(log.Segments[i].BaseOffset, ".log"))));
        }

        LogReadResult whole = log.Read(0, int.MaxValue, true, log.HighWatermark);
        Assert.Equal(log.Segments[0].Size, whole.Length);

        AssertContiguous(Batches.ReadAll(log), 0, 600);
    }

    [Fact]
    public void Every_offset_finds_its_batch_across_many_batches_and_segments()
    {
        var config = LogConfig.Default with { SegmentBytes = 64 * 1024, IndexIntervalBytes = 1024 };
        using PartitionLog log = Open(config);
        var random = new Random(3);
        var batchOf = new List<(long First, long Last)>();
        for (int i = 0; i < 600; i++)
        {
            int count = random.Next(1, 12);
            long first = log.LogEndOffset;
            var values = new string[count];
            for (int r = 0; r < count; r++)
            {
                values[r] = "v" + (first + r) + new string('.', random.Next(0, 200));
            }

            LogAppendResult result = log.Append(Batches.Make(values), 1);
            batchOf.Add((result.FirstOffset, result.LastOffset));
        }

        log.UpdateHighWatermark(log.LogEndOffset);
        Assert.True(log.SegmentCount > 5);
        foreach ((long first, long last) in batchOf)
        {
            for (long offset = first; offset <= last; offset++)
            {
                LogReadResult read = log.Read(offset, 1, minOneBatch: true, log.HighWatermark);
                RecordBatchHeader header = Batches.FirstHeader(read);
                Assert.Equal(first, header.BaseOffset);
                Assert.Equal(last, header.LastOffset);
            }
        }
    }

    [Fact]
    public void Reopen_after_clean_close_restores_log_end_offset_and_data()
    {
        var config = LogConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 128 };
        using (PartitionLog log = Open(config))
        {
            AppendNumbered(log, batches: 50, recordsPerBatch: 2, padding: 5);
        }

        using PartitionLog reopened = Open(config, clean: true);
        Assert.Equal(100, reopened.LogEndOffset);
        Assert.Equal(100, reopened.HighWatermark);
        AssertContiguous(Batches.ReadAll(reopened), 0, 100);
        AppendNumbered(reopened, batches: 1, recordsPerBatch: 2);
        AssertContiguous(Batches.ReadAll(reopened), 0, 102);
    }

    [Fact]
    public void Reopen_after_unclean_close_recovers_and_restores_data()
    {
        var config = LogConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 128 };
        using (PartitionLog log = Open(config))
        {
            AppendNumbered(log, batches: 50, recordsPerBatch: 2, padding: 5);
        }

        var logger = new ListLogger();
        using PartitionLog reopened = Open(config, clean: false, logger);
        Assert.Equal(100, reopened.LogEndOffset);
        AssertContiguous(Batches.ReadAll(reopened), 0, 100);
        (LogLevel level, string message) = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Information, level);
        Assert.Contains("found no damage", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Torn_tail_is_cut_back_to_the_last_whole_batch_at_every_position()
    {
        var config = LogConfig.Default with { IndexIntervalBytes = 100 };
        var batchEnds = new List<(long End, long NextOffset)>();
        using (PartitionLog log = Open(config))
        {
            for (int i = 0; i < 6; i++)
            {
                AppendNumbered(log, 1, 3);
                batchEnds.Add((log.Segments[^1].Size, log.LogEndOffset));
            }
        }

        string segmentPath = Path.Combine(LogDir, LogSegment.FileName(0, ".log"));
        byte[] original = File.ReadAllBytes(segmentPath);
        long start = batchEnds[3].End - 5;
        for (long cut = start; cut < original.Length; cut += 3)
        {
            File.WriteAllBytes(segmentPath, original.AsSpan(0, (int)cut).ToArray());
            (long end, long next) = batchEnds.Last(b => b.End <= cut);
            var logger = new ListLogger();
            using (PartitionLog log = Open(config, clean: false, logger))
            {
                Assert.Equal(next, log.LogEndOffset);
                Assert.Equal(end, new FileInfo(segmentPath).Length);
                AssertContiguous(Batches.ReadAll(log), 0, next);
                Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(next + 1, 100, true, long.MaxValue).Error);
                var line = Assert.Single(logger.Lines);
                Assert.Equal(cut > end ? LogLevel.Warning : LogLevel.Information, line.Level);
                if (cut > end)
                {
                    Assert.Contains("orders-3", line.Message, StringComparison.Ordinal);
                    Assert.Contains("truncated " + (cut - end).ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes", line.Message, StringComparison.Ordinal);
                }

                AppendNumbered(log, 1, 2);
                AssertContiguous(Batches.ReadAll(log), 0, next + 2);
            }
        }
    }

    [Fact]
    public void Torn_tail_with_a_clean_shutdown_claim_is_still_recovered()
    {
        using (PartitionLog log = Open())
        {
            AppendNumbered(log, 3, 3);
        }

        string segmentPath = Path.Combine(LogDir, LogSegment.FileName(0, ".log"));
        byte[] original = File.ReadAllBytes(segmentPath);
        File.WriteAllBytes(segmentPath, original.AsSpan(0, original.Length - 10).ToArray());
        using PartitionLog reopened = Open(clean: true);
        Assert.Equal(6, reopened.LogEndOffset);
        AssertContiguous(Batches.ReadAll(reopened), 0, 6);
    }

    [Fact]
    public void Corrupt_crc_in_the_tail_truncates_from_the_damaged_batch()
    {
        long[] batchStarts = new long[5];
        using (PartitionLog log = Open())
        {
            for (int i = 0; i < 5; i++)
            {
                batchStarts[i] = log.Segments[^1].Size;
                AppendNumbered(log, 1, 4);
            }
        }

        string segmentPath = Path.Combine(LogDir, LogSegment.FileName(0, ".log"));
        byte[] bytes = File.ReadAllBytes(segmentPath);
        bytes[batchStarts[3] + 70] ^= 0x20;
        File.WriteAllBytes(segmentPath, bytes);

        var logger = new ListLogger();
        using PartitionLog reopened = Open(logger: logger);
        Assert.Equal(12, reopened.LogEndOffset);
        Assert.Equal(batchStarts[3], new FileInfo(segmentPath).Length);
        AssertContiguous(Batches.ReadAll(reopened), 0, 12);
        Assert.Single(logger.Lines);
    }

    [Fact]
    public void Garbage_length_in_the_tail_is_truncated()
    {
        using (PartitionLog log = Open())
        {
            AppendNumbered(log, 2, 2);
        }

        string segmentPath = Path.Combine(LogDir, LogSegment.FileName(0, ".log"));
        using (var stream = new FileStream(segmentPath, FileMode.Append))
        {
            stream.Write(new byte[100]);
        }

        using PartitionLog reopened = Open();
        Assert.Equal(4, reopened.LogEndOffset);
        AssertContiguous(Batches.ReadAll(reopened), 0, 4);
    }

    [Fact]
    public void High_watermark_limits_reads()
    {
        using PartitionLog log = Open();
        AppendNumbered(log, batches: 4, recordsPerBatch: 5);
        Assert.Equal(10, log.UpdateHighWatermark(10));
        Assert.Equal(10, log.HighWatermark);
        Assert.Equal(20, log.LogEndOffset);

        LogReadResult result = log.Read(0, 1 << 20, true, log.HighWatermark);
        Assert.Equal(10, result.HighWatermark);
        AssertContiguous(Batches.Parse(result), 0, 10);

        LogReadResult atHighWatermark = log.Read(10, 1 << 20, true, log.HighWatermark);
        Assert.Equal(ErrorCode.None, atHighWatermark.Error);
        Assert.Equal(0, atHighWatermark.Length);

        LogReadResult aboveHighWatermark = log.Read(15, 1 << 20, true, log.HighWatermark);
        Assert.Equal(ErrorCode.None, aboveHighWatermark.Error);
        Assert.Equal(0, aboveHighWatermark.Length);

        LogReadResult atLogEnd = log.Read(20, 1 << 20, true, log.HighWatermark);
        Assert.Equal(ErrorCode.None, atLogEnd.Error);
        Assert.Equal(0, atLogEnd.Length);
    }

    [Fact]
    public void High_watermark_inside_a_batch_excludes_that_batch()
    {
        using PartitionLog log = Open();
        AppendNumbered(log, batches: 3, recordsPerBatch: 5);
        log.UpdateHighWatermark(12);
        AssertContiguous(Batches.Parse(log.Read(0, 1 << 20, true, log.HighWatermark)), 0, 10);
        Assert.Equal(0, log.Read(10, 1 << 20, true, log.HighWatermark).Length);

        AssertContiguous(Batches.Parse(log.Read(0, 1 << 20, true, 13)), 0, 10);
        AssertContiguous(Batches.Parse(log.Read(0, 1 << 20, true, 15)), 0, 15);
    }

    [Fact]
    public void Limit_below_the_log_end_works_across_segments()
    {
        var config = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 64 };
        using PartitionLog log = Open(config);
        AppendNumbered(log, batches: 60, recordsPerBatch: 2, padding: 8);
        Assert.True(log.SegmentCount > 4);
        for (long limit = 0; limit <= log.LogEndOffset; limit += 7)
        {
            long expectedEnd = limit - (limit % 2);
            AssertContiguous(Batches.ReadAll(log, 0, limit), 0, expectedEnd);
        }

        long highWatermark = log.UpdateHighWatermark(61);
        Assert.Equal(61, highWatermark);
        AssertContiguous(Batches.ReadAll(log, 0, highWatermark), 0, 60);
    }

    [Fact]
    public void High_watermark_is_clamped_to_the_log()
    {
        using PartitionLog log = Open();
        AppendNumbered(log, 2, 2);
        Assert.Equal(4, log.UpdateHighWatermark(100));
        Assert.Equal(0, log.UpdateHighWatermark(-5));
    }

    [Fact]
    public void Fetch_outside_the_log_is_offset_out_of_range()
    {
        using PartitionLog log = Open();
        AppendNumbered(log, 2, 3);
        LogReadResult above = log.Read(7, 100, true, log.HighWatermark);
        Assert.Equal(ErrorCode.OffsetOutOfRange, above.Error);
        Assert.Equal(0, above.Length);
        Assert.Equal(6, above.LogEndOffset);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(-1, 100, true, log.HighWatermark).Error);
    }

    [Fact]
    public void TruncateTo_removes_records_and_later_appends_reuse_the_offsets()
    {
        var config = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 64, FileDeleteDelayMs = 0 };
        using PartitionLog log = Open(config);
        AppendNumbered(log, batches: 40, recordsPerBatch: 2, padding: 8);
        int segmentsBefore = log.SegmentCount;
        Assert.True(segmentsBefore > 3);

        log.TruncateTo(31);
        Assert.Equal(30, log.LogEndOffset);
        Assert.Equal(30, log.HighWatermark);
        Assert.True(log.SegmentCount < segmentsBefore);
        Assert.Equal(segmentsBefore - log.SegmentCount, log.DeleteDueSegmentFiles());
        // Each remaining segment's .log, .index and .timeindex, and the producer-state snapshots at the segment bases.
        Assert.Equal(log.SegmentCount * 3, Directory.GetFiles(LogDir).Count(f => !f.EndsWith(ProducerStateManager.SnapshotFileSuffix, StringComparison.Ordinal)));
        Assert.All(log.ProducerState.SnapshotOffsets(), offset => Assert.True(offset <= log.LogEndOffset));
        AssertContiguous(Batches.ReadAll(log), 0, 30);

        AppendNumbered(log, batches: 20, recordsPerBatch: 2, padding: 8);
        AssertContiguous(Batches.ReadAll(log), 0, 70);
    }

    [Fact]
    public void Truncate_survives_reopen()
    {
        var config = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 64 };
        using (PartitionLog log = Open(config))
        {
            AppendNumbered(log, batches: 40, recordsPerBatch: 2, padding: 8);
            log.TruncateTo(50);
        }

        using PartitionLog reopened = Open(config, clean: true);
        Assert.Equal(50, reopened.LogEndOffset);
        AssertContiguous(Batches.ReadAll(reopened), 0, 50);
    }

    [Fact]
    public void Log_start_offset_is_the_first_segment_base_and_truncating_below_it_restarts_the_log()
    {
        Directory.CreateDirectory(LogDir);
        using (LogSegment segment = LogSegment.Create(LogDir, 100, LogConfig.Default))
        {
            byte[] batch = Batches.Make("v100", "v101");
            RecordBatch.SetBaseOffset(batch, 100);
            segment.Append(100, 101, batch);
        }

        using PartitionLog log = Open();
        Assert.Equal(100, log.LogStartOffset);
        Assert.Equal(102, log.LogEndOffset);
        AssertContiguous(Batches.ReadAll(log, 100), 100, 102);
        Assert.Equal(ErrorCode.OffsetOutOfRange, log.Read(99, 100, true, log.HighWatermark).Error);

        log.TruncateTo(50);
        Assert.Equal(50, log.LogStartOffset);
        Assert.Equal(50, log.LogEndOffset);
        Assert.Equal(50, log.HighWatermark);
        Assert.Equal(1, log.SegmentCount);
        Assert.False(File.Exists(Path.Combine(LogDir, LogSegment.FileName(100, ".log"))));
        AppendNumbered(log, 1, 2);
        AssertContiguous(Batches.ReadAll(log, 50), 50, 52);
    }

    [Fact]
    public void Flush_interval_messages_flushes_every_n_records()
    {
        using PartitionLog log = Open(LogConfig.Default with { FlushIntervalMessages = 3 });
        AppendNumbered(log, 1, 2);
        Assert.Equal(2, log.UnflushedRecords);
        AppendNumbered(log, 1, 1);
        Assert.Equal(0, log.UnflushedRecords);
        AppendNumbered(log, 1, 1);
        Assert.Equal(1, log.UnflushedRecords);
        log.Flush();
        Assert.Equal(0, log.UnflushedRecords);
        AssertContiguous(Batches.ReadAll(log), 0, 4);
    }

    [Fact]
    public void Flush_interval_ms_flushes_on_the_first_append_after_the_interval()
    {
        var time = new ManualTimeProvider();
        using PartitionLog log = PartitionLog.Open(LogDir, Tp, LogConfig.Default with { FlushIntervalMs = 1000 }, timeProvider: time);
        AppendNumbered(log, 2, 1);
        Assert.Equal(2, log.UnflushedRecords);
        time.Advance(TimeSpan.FromMilliseconds(999));
        AppendNumbered(log, 1, 1);
        Assert.Equal(3, log.UnflushedRecords);
        time.Advance(TimeSpan.FromMilliseconds(1));
        AppendNumbered(log, 1, 1);
        Assert.Equal(0, log.UnflushedRecords);
    }

    [Fact]
    public void Missing_index_of_an_old_segment_is_rebuilt()
    {
        var config = LogConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 128 };
        using (PartitionLog log = Open(config))
        {
            AppendNumbered(log, batches: 100, recordsPerBatch: 2, padding: 8);
            Assert.True(log.SegmentCount > 2);
        }

        string index = Path.Combine(LogDir, LogSegment.FileName(0, OffsetIndex.FileSuffix));
        File.Delete(index);
        var logger = new ListLogger();
        using PartitionLog reopened = Open(config, clean: true, logger);
        Assert.True(reopened.Segments[0].Index.EntryCount > 0);
        Assert.Single(logger.Lines);
        AssertContiguous(Batches.ReadAll(reopened), 0, 200);
    }

    [Fact]
    public void Garbage_index_of_an_old_segment_is_rebuilt()
    {
        var config = LogConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 128 };
        using (PartitionLog log = Open(config))
        {
            AppendNumbered(log, batches: 40, recordsPerBatch: 2, padding: 8);
        }

        string index = Path.Combine(LogDir, LogSegment.FileName(0, OffsetIndex.FileSuffix));
        byte[] bytes = File.ReadAllBytes(index);
        Array.Reverse(bytes);
        File.WriteAllBytes(index, bytes);
        using PartitionLog reopened = Open(config, clean: true);
        Assert.True(reopened.Segments[0].Index.IsConsistentWith(reopened.Segments[0].Size));
        AssertContiguous(Batches.ReadAll(reopened), 0, 80);
    }

    [Fact]
    public void Appending_something_that_is_not_whole_batches_throws()
    {
        using PartitionLog log = Open();
        byte[] batch = Batches.Make("a");
        Assert.Throws<ArgumentException>(() => log.Append(batch.AsSpan(0, batch.Length - 1), 0));
        Assert.Equal(0, log.LogEndOffset);
    }

    [Fact]
    public async Task Reads_running_during_appends_see_only_whole_batches()
    {
        var config = LogConfig.Default with { SegmentBytes = 16 * 1024, IndexIntervalBytes = 512 };
        using PartitionLog log = Open(config);
        const int batches = 3000;
        using var done = new CancellationTokenSource();
        var readers = new Task[2];
        for (int r = 0; r < readers.Length; r++)
        {
            readers[r] = Task.Run(() =>
            {
                long next = 0;
                var buffer = new byte[64 * 1024];
                while (true)
                {
                    bool finished = done.IsCancellationRequested;
                    LogReadResult result = log.Read(next, buffer.Length, true, log.HighWatermark);
                    Assert.Equal(ErrorCode.None, result.Error);
                    if (result.Length > 0)
                    {
                        int copied = result.CopyTo(buffer);
                        List<StoredRecord> records = Batches.Parse(buffer.AsSpan(0, copied));
                        foreach (StoredRecord record in records)
                        {
                            Assert.Equal("v" + record.Offset, record.Value);
                        }

                        Assert.True(records[^1].Offset < result.HighWatermark);
                        next = records[^1].Offset + 1;
                    }
                    else if (finished && next == log.LogEndOffset)
                    {
                        return;
                    }
                }
            });
        }

        for (int i = 0; i < batches; i++)
        {
            long first = log.LogEndOffset;
            log.Append(Batches.Make("v" + first, "v" + (first + 1)), 0);
            log.UpdateHighWatermark(log.LogEndOffset);
        }

        done.Cancel();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(2 * batches, log.LogEndOffset);
    }
}
