using System.Text;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>One record read back from a compacted log: its offset, key and value (null for a tombstone).</summary>
internal readonly record struct KeyedRecord(long Offset, string Key, string? Value);

public sealed class LogCleanerTests : IDisposable
{
    private static readonly TopicPartition Topic = new("compacted", 0);

    private readonly TempDir _dir = new();
    private readonly ManualTimeProvider _time = new();
    private readonly ListLogger _logger = new();
    private readonly LogManager _manager;

    public LogCleanerTests()
    {
        _manager = new LogManager([_dir.Path], LogConfig.Default, timeProvider: _time);
        _manager.LoadLogs();
    }

    public void Dispose()
    {
        SegmentSwap.StepCompleted = null;

        _manager.Dispose();
        _dir.Dispose();
    }

    private static LogConfig CompactConfig => new()
    {
        SegmentBytes = 1024,
        IndexIntervalBytes = 128,
        Compact = true,
        Delete = false,
        MinCleanableDirtyRatio = 0.01,
    };

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    [Fact]
    public void Cleaning_keeps_only_the_newest_record_per_key_at_its_original_offset()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        var latest = new Dictionary<string, KeyedRecord>();
        for (int round = 0; round < 10; round++)
        {
            for (int k = 0; k < 5; k++)
            {
                long offset = Append(log, ($"key-{k}", $"value-{k}-{round}"));
                latest[$"key-{k}"] = new KeyedRecord(offset, $"key-{k}", $"value-{k}-{round}");
            }
        }

        long activeBase = RollWithFiller(log);
        long endBefore = log.LogEndOffset;
        List<KeyedRecord> fillerBefore = ReadAll(log).Where(IsFiller).ToList();

        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        List<KeyedRecord> after = ReadAll(log);
        Assert.Equal(latest.Values.OrderBy(r => r.Offset), after.Where(r => r.Offset < activeBase && !IsFiller(r)));
        Assert.Equal(fillerBefore, after.Where(IsFiller));
        Assert.Equal(endBefore, log.LogEndOffset);
        Assert.Equal(0, log.LogStartOffset);
        Assert.Equal(activeBase, cleaner.CheckpointOf(Topic));
        Assert.False(cleaner.CleanOnce());
    }

    [Fact]
    public void Cleaned_segments_have_a_time_index_that_finds_the_retained_records()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        for (int round = 0; round < 8; round++)
        {
            for (int k = 0; k < 4; k++)
            {
                Append(log, ($"key-{k}", $"value-{k}-{round}"));
                _time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        LogSegment cleaned = log.Segments[0];
        Assert.True(cleaned.TimeIndex.EntryCount > 0);
        Assert.True(cleaned.MaxTimestamp > 0);
        List<KeyedRecord> retained = ReadAll(log);
        long lastRetainedKeyed = retained.Last(r => !IsFiller(r)).Offset;
        // Every record older than the last round of keys is gone: a lookup from the start lands on the first survivor.
        TimestampOffset? first = log.FetchOffsetByTimestamp(0);
        Assert.Equal(retained[0].Offset, first?.Offset);
        TimestampOffset? max = log.FetchOffsetOfMaxTimestamp();
        Assert.NotNull(max);
        Assert.True(max.Value.Offset > lastRetainedKeyed, "the filler after the keys holds the largest timestamp");

        // A reopened log loads the cleaned segment's time index as written.
        _manager.Dispose();
        using var reopened = new LogManager([_dir.Path], LogConfig.Default, timeProvider: _time);
        reopened.LoadLogs(_ => CompactConfig);
        Assert.Equal(cleaned.MaxTimestamp, reopened.GetLog(Topic)!.Segments[0].MaxTimestamp);
    }

    [Fact]
    public void Read_at_an_offset_in_a_gap_returns_the_next_retained_record()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        for (int round = 0; round < 6; round++)
        {
            for (int k = 0; k < 3; k++)
            {
                Append(log, ($"key-{k}", $"value-{k}-{round}"));
            }
        }

        RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        List<KeyedRecord> retained = ReadAll(log);
        long[] offsets = [.. retained.Select(r => r.Offset)];
        for (long fetch = 0; fetch < offsets[^1]; fetch++)
        {
            long expected = offsets.First(o => o >= fetch);
            LogReadResult result = log.Read(fetch, 1 << 20, minOneBatch: true, log.LogEndOffset);
            Assert.Equal(ErrorCode.None, result.Error);
            Assert.True(Batches.LastOffsetOfLastBatch(result) >= fetch);
            Assert.Equal(expected, ReadAll(log, fetch)[0].Offset);
        }
    }

    [Fact]
    public void Tombstones_are_removed_only_after_delete_retention_ms()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig with { DeleteRetentionMs = 60_000 });
        Append(log, ("gone", "v1"));
        Append(log, ("kept", "v1"));
        long tombstone = Append(log, ("gone", null));
        RollWithFiller(log);

        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());
        List<KeyedRecord> afterFirst = ReadAll(log);
        Assert.DoesNotContain(afterFirst, r => r.Key == "gone" && r.Value is not null);
        Assert.Contains(new KeyedRecord(tombstone, "gone", null), afterFirst);

        _time.Advance(TimeSpan.FromSeconds(59));
        RollWithFiller(log);
        Assert.True(cleaner.CleanOnce());
        Assert.Contains(new KeyedRecord(tombstone, "gone", null), ReadAll(log));

        _time.Advance(TimeSpan.FromSeconds(2));
        RollWithFiller(log);
        Assert.True(cleaner.CleanOnce());
        List<KeyedRecord> afterRetention = ReadAll(log);
        Assert.DoesNotContain(afterRetention, r => r.Key == "gone");
        Assert.Contains(afterRetention, r => r.Key == "kept" && r.Value == "v1");
    }

    [Fact]
    public void Min_compaction_lag_keeps_newer_segments_uncleaned()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig with { MinCompactionLagMs = 60_000 });
        for (int round = 0; round < 4; round++)
        {
            Append(log, ("key", $"value-{round}"));
        }

        RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.False(cleaner.CleanOnce());
        Assert.Equal(4, ReadAll(log).Count(r => r.Key == "key"));

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(cleaner.CleanOnce());
        Assert.Equal([new KeyedRecord(3, "key", "value-3")], ReadAll(log).Where(r => r.Key == "key"));
    }

    [Fact]
    public void Max_compaction_lag_forces_cleaning_below_the_dirty_ratio()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig with { MinCleanableDirtyRatio = 0.9, MaxCompactionLagMs = 60_000 });
        for (int i = 0; i < 40; i++)
        {
            Append(log, ($"key-{i}", "first"));
        }

        RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        Append(log, ("key-0", "second"));
        RollWithFiller(log);
        Assert.False(cleaner.CleanOnce());

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.True(cleaner.CleanOnce());
        Assert.Equal(["second"], ReadAll(log).Where(r => r.Key == "key-0").Select(r => r.Value));
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Compressed_batches_are_filtered_and_recompressed_with_their_codec(CompressionType codec)
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig with { SegmentBytes = 4096 });
        var latest = new Dictionary<string, long>();
        long next = 0;
        for (int round = 0; round < 4; round++)
        {
            var records = new List<(string, string?)>();
            for (int k = 0; k < 6; k++)
            {
                records.Add(($"key-{k}", $"value-{k}-{round}-" + new string('x', round * 7)));
                latest[$"key-{k}"] = next++;
            }

            byte[] batch = RecordBatchCompression.Compress(MakeBatch(NowMs, [.. records]), codec);
            log.Append(batch, leaderEpoch: 3);
            log.UpdateHighWatermark(log.LogEndOffset);
        }

        long activeBase = RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        byte[] bytes = Copy(log.Read(0, 1 << 20, minOneBatch: true, activeBase));
        int position = 0;
        var seen = new List<KeyedRecord>();
        while (position < bytes.Length)
        {
            RecordBatchHeader.TryRead(bytes.AsSpan(position), out RecordBatchHeader header);
            ReadOnlySpan<byte> batch = bytes.AsSpan(position, (int)header.TotalSize);
            Assert.True(RecordBatch.IsCrcValid(batch));
            if (header.PartitionLeaderEpoch == 3)
            {
                Assert.Equal(codec, header.Compression);
                Assert.Equal(5, header.LastOffsetDelta);
            }

            seen.AddRange(ParseBatches(batch.ToArray()));
            position += (int)header.TotalSize;
        }

        Assert.Equal(latest.Values.Order(), seen.Where(r => !IsFiller(r)).Select(r => r.Offset));
        Assert.All(seen.Where(r => !IsFiller(r)), r => Assert.StartsWith(r.Key.Replace("key", "value", StringComparison.Ordinal) + "-3", r.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void Rewritten_batch_keeps_producer_fields_and_offsets_and_recomputes_count_and_max_timestamp()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        using (var builder = new RecordBatchBuilder())
        {
            builder.ProducerId = 42;
            builder.ProducerEpoch = 7;
            builder.BaseSequence = 100;
            builder.Append(NowMs, Encoding.UTF8.GetBytes("a"), Encoding.UTF8.GetBytes("a0"));
            builder.Append(NowMs + 5, Encoding.UTF8.GetBytes("b"), Encoding.UTF8.GetBytes("b0"));
            builder.Append(NowMs + 9, Encoding.UTF8.GetBytes("c"), Encoding.UTF8.GetBytes("c0"));
            log.Append(builder.ToArray(), leaderEpoch: 0);
        }

        Append(log, ("c", "c1"));
        long activeBase = RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        byte[] bytes = Copy(log.Read(0, 1 << 20, minOneBatch: true, activeBase));
        RecordBatchHeader.TryRead(bytes, out RecordBatchHeader header);
        Assert.Equal(0, header.BaseOffset);
        Assert.Equal(2, header.LastOffsetDelta);
        Assert.Equal(2, header.RecordsCount);
        Assert.Equal(42, header.ProducerId);
        Assert.Equal(7, header.ProducerEpoch);
        Assert.Equal(100, header.BaseSequence);
        Assert.Equal(NowMs, header.BaseTimestamp);
        Assert.Equal(NowMs + 5, header.MaxTimestamp);
        Assert.True(RecordBatch.IsCrcValid(bytes.AsSpan(0, (int)header.TotalSize)));
        Assert.Equal([new KeyedRecord(0, "a", "a0"), new KeyedRecord(1, "b", "b0"), new KeyedRecord(3, "c", "c1")], ReadAll(log).Where(r => !IsFiller(r)));
    }

    [Fact]
    public void A_small_offset_map_cleans_in_passes_until_every_key_is_deduplicated()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        var latest = new Dictionary<string, long>();
        for (int round = 0; round < 2; round++)
        {
            for (int k = 0; k < 40; k++)
            {
                latest[$"key-{k}"] = Append(log, ($"key-{k}", $"value-{k}-{round}"));
            }
        }

        long activeBase = RollWithFiller(log);
        var config = SmallCleaner() with { DedupeBufferSize = 24 * OffsetMap.SlotSize, DedupeBufferLoadFactor = 0.9 };
        using var cleaner = new LogCleaner(_manager, config, _logger, _time);
        Assert.True(cleaner.CleanOnce());
        long firstCheckpoint = cleaner.CheckpointOf(Topic)!.Value;
        Assert.Equal(21, firstCheckpoint);

        int passes = 1;
        while (cleaner.CleanOnce())
        {
            passes++;
            Assert.True(passes < 20, "cleaning does not converge");
        }

        Assert.True(passes >= 4, $"{passes} passes");
        Assert.Equal(activeBase, cleaner.CheckpointOf(Topic));
        Assert.Equal(latest.Values.Order(), ReadAll(log).Where(r => !IsFiller(r)).Select(r => r.Offset));
    }

    [Fact]
    public void Checkpoint_file_is_written_in_kafka_format_and_read_back_by_a_new_cleaner()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        for (int i = 0; i < 30; i++)
        {
            Append(log, ($"key-{i % 3}", $"value-{i}"));
        }

        long activeBase = RollWithFiller(log);
        using (var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time))
        {
            Assert.True(cleaner.CleanOnce());
        }

        string[] lines = File.ReadAllLines(_dir.Combine(LogCleaner.CheckpointFileName));
        Assert.Equal(["0", "1", $"compacted 0 {activeBase}"], lines);
        Assert.False(File.Exists(_dir.Combine(LogCleaner.CheckpointFileName + ".tmp")));

        using var restarted = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.False(restarted.CleanOnce());
        Assert.Equal(activeBase, restarted.CheckpointOf(Topic));
    }

    [Fact]
    public void Logs_without_compact_are_never_cleaned()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig with { Compact = false, Delete = true });
        for (int i = 0; i < 30; i++)
        {
            Append(log, ("key", $"value-{i}"));
        }

        RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.False(cleaner.CleanOnce());
        Assert.Equal(30, ReadAll(log).Count(r => r.Key == "key"));
    }

    [Fact]
    public void A_crash_at_any_swap_step_leaves_either_the_old_or_the_cleaned_segments()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        for (int pass = 0; pass < 2; pass++)
        {
            for (int round = 0; round < 8; round++)
            {
                for (int k = 0; k < 6; k++)
                {
                    Append(log, ($"key-{k}", $"value-{k}-{pass}-{round}"));
                }
            }

            RollWithFiller(log);
            if (pass == 0)
            {
                // The first pass leaves small segments, which the second pass merges: one swap replaces several.
                Assert.True(cleaner.CleanOnce());
            }
        }

        log.Flush();
        var states = new List<List<KeyedRecord>> { ReadAll(log) };
        var snapshots = new List<(string Step, string Path, int State)>();
        int deletedInGroup = 0;
        int mostDeletedInOneGroup = 0;
        SegmentSwap.StepCompleted = (directory, step) =>
        {
            if (directory != log.Directory)
            {
                return;
            }

            if (step.EndsWith(".log.deleted", StringComparison.Ordinal))
            {
                mostDeletedInOneGroup = Math.Max(mostDeletedInOneGroup, ++deletedInGroup);
            }

            // Up to the rename to .log.swap a crash keeps the state before this group; from it on, the state after.
            int state = step.EndsWith(".log.swap", StringComparison.Ordinal) || snapshots.Count > 0 && snapshots[^1].State == states.Count
                ? states.Count
                : states.Count - 1;
            if (step == "removed the replaced segments")
            {
                states.Add(ReadAll(log));
                deletedInGroup = 0;
            }

            string copy = _dir.Combine("crash-" + snapshots.Count, LogManager.DirectoryName(Topic));
            Directory.CreateDirectory(copy);
            foreach (string file in Directory.EnumerateFiles(directory))
            {
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            }

            snapshots.Add((step, copy, state));
        };

        Assert.True(cleaner.CleanOnce());
        SegmentSwap.StepCompleted = null;
        Assert.True(states.Count >= 3, $"{states.Count - 1} swaps");
        Assert.True(mostDeletedInOneGroup >= 2, $"at most {mostDeletedInOneGroup} segments replaced by one swap");
        Assert.NotEqual(states[0], states[^1]);
        Assert.Equal(states[^1], ReadAll(log));

        foreach ((string step, string path, int state) in snapshots)
        {
            using (PartitionLog recovered = PartitionLog.Open(path, Topic, CompactConfig))
            {
                List<KeyedRecord> records = ReadAll(recovered);
                Assert.True(states[state].SequenceEqual(records), $"after step '{step}' the log reads {records.Count} records, not the {states[state].Count} of state {state}");
                Assert.Equal(log.LogEndOffset, recovered.LogEndOffset);
            }

            Assert.DoesNotContain(Directory.EnumerateFiles(path), f => f.EndsWith(".swap", StringComparison.Ordinal)
                || f.EndsWith(".cleaned", StringComparison.Ordinal) || f.EndsWith(".deleted", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Segments_left_small_by_cleaning_are_merged_on_the_next_pass()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        for (int round = 0; round < 10; round++)
        {
            for (int k = 0; k < 5; k++)
            {
                Append(log, ($"key-{k}", $"value-{k}-{round}"));
            }
        }

        RollWithFiller(log);
        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());
        int segmentsAfterFirstPass = log.SegmentCount;
        Append(log, ("key-0", "newest"));
        long activeBase = RollWithFiller(log);
        Assert.True(cleaner.CleanOnce());

        Assert.True(log.SegmentCount < segmentsAfterFirstPass, $"{log.SegmentCount} segments, {segmentsAfterFirstPass} after the first pass");
        Assert.Equal(["newest"], ReadAll(log).Where(r => r.Key == "key-0").Select(r => r.Value));
        Assert.Equal(activeBase, log.Segments[^1].BaseOffset);
    }

    [Fact]
    public void A_swap_for_segments_the_log_no_longer_holds_is_abandoned()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        for (int i = 0; i < 30; i++)
        {
            Append(log, ($"key-{i % 3}", $"value-{i}"));
        }

        RollWithFiller(log);
        List<KeyedRecord> before = ReadAll(log);
        SegmentSwap.StepCompleted = (directory, step) =>
        {
            if (directory == log.Directory && step == "wrote the cleaned files")
            {
                log.TruncateTo(5);
            }
        };

        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.False(cleaner.CleanOnce());
        Assert.Equal(before.Where(r => r.Offset < 5), ReadAll(log));
        Assert.DoesNotContain(Directory.EnumerateFiles(log.Directory), f => f.EndsWith(".swap", StringComparison.Ordinal)
            || f.EndsWith(".cleaned", StringComparison.Ordinal));
    }

    [Fact]
    public void Offset_map_keeps_the_latest_offset_per_key()
    {
        var map = new OffsetMap(1000 * OffsetMap.SlotSize, 0.9);
        Assert.Equal(900, map.MaxEntries);
        for (int i = 0; i < 900; i++)
        {
            map.Put(Encoding.UTF8.GetBytes($"key-{i % 300}"), i);
        }

        Assert.Equal(300, map.Count);
        Assert.Equal(899, map.LatestOffset);
        Assert.Equal(899, map.Get("key-299"u8));
        Assert.Equal(600, map.Get("key-0"u8));
        Assert.Equal(-1, map.Get("absent"u8));
        map.Clear();
        Assert.Equal(-1, map.Get("key-0"u8));
        Assert.Equal(0, map.Count);
    }

    [Fact]
    public void Throttler_asks_for_the_wait_that_holds_the_rate()
    {
        var throttler = new CleanerThrottler(1000, _time);
        Assert.Equal(TimeSpan.FromSeconds(0.5), throttler.Record(500));
        _time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Equal(TimeSpan.FromSeconds(1), throttler.Record(1000));
        Assert.Equal(TimeSpan.Zero, new CleanerThrottler(double.MaxValue, _time).Record(1L << 40));
    }

    [Fact]
    public void Committed_transactions_are_cleaned_while_aborted_ones_markers_and_open_ones_are_kept()
    {
        PartitionLog log = _manager.GetOrCreateLog(Topic, CompactConfig);
        long plainOffset = Append(log, ("k1", "plain-1"), ("k2", "plain-2"));
        long committedOffset = AppendTransactional(log, 5, 0, ("k1", "committed-1"));
        long abortedOffset = AppendTransactional(log, 6, 0, ("k2", "aborted-2"));
        AppendMarker(log, 5, commit: true);
        AppendMarker(log, 6, commit: false);
        long laterOffset = Append(log, ("k3", "plain-3"));
        RollWithFiller(log);
        long openOffset = AppendTransactional(log, 7, 0, ("k3", "open-3"));
        RollWithFiller(log);
        Assert.Equal(openOffset, log.LastStableOffset);

        using var cleaner = new LogCleaner(_manager, SmallCleaner(), _logger, _time);
        Assert.True(cleaner.CleanOnce());

        List<KeyedRecord> after = ReadAll(log).Where(r => r.Key.StartsWith('k')).ToList();
        Assert.Equal(
            [
                new KeyedRecord(plainOffset + 1, "k2", "plain-2"),
                new KeyedRecord(committedOffset, "k1", "committed-1"),
                new KeyedRecord(abortedOffset, "k2", "aborted-2"),
                new KeyedRecord(laterOffset, "k3", "plain-3"),
                new KeyedRecord(openOffset, "k3", "open-3"),
            ],
            after);
        // Both markers stay, and so does what read_committed needs: the aborted transaction and the open one.
        Assert.Equal(2, CountControlBatches(log));
        var aborted = new List<AbortedTxn>();
        log.CollectAbortedTransactions(0, log.LastStableOffset, aborted);
        Assert.Equal(6, Assert.Single(aborted).ProducerId);
        Assert.Equal(openOffset, log.LastStableOffset);
    }

    private long AppendTransactional(PartitionLog log, long producerId, int sequence, params (string Key, string? Value)[] records)
    {
        using var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = 0, BaseSequence = sequence, IsTransactional = true };
        foreach ((string key, string? value) in records)
        {
            builder.Append(NowMs, Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));
        }

        long offset = log.Append(builder.ToArray(), leaderEpoch: 0).FirstOffset;
        log.UpdateHighWatermark(log.LogEndOffset);
        return offset;
    }

    private void AppendMarker(PartitionLog log, long producerId, bool commit)
    {
        byte[] marker = EndTransactionMarker.BuildBatch(producerId, 0, 0, commit ? ControlRecordType.Commit : ControlRecordType.Abort, NowMs);
        Assert.Equal(ErrorCode.None, log.Append(marker, leaderEpoch: 0, AppendOrigin.Coordinator).Error);
        log.UpdateHighWatermark(log.LogEndOffset);
    }

    private static int CountControlBatches(PartitionLog log)
    {
        int count = 0;
        LogBatchScanner.Scan(log, log.LogStartOffset, log.LogEndOffset, (in RecordBatchHeader header, ReadOnlySpan<byte> batch) =>
        {
            count += header.IsControl ? 1 : 0;
            return true;
        });
        return count;
    }

    private static CleanerConfig SmallCleaner() => new()
    {
        DedupeBufferSize = 64 * 1024,
        IoBufferSize = 2048,
        BackoffMs = 10,
    };

    /// <summary>Appends one batch and moves the high watermark to the log end, as the broker does on a single replica.</summary>
    private long Append(PartitionLog log, params (string Key, string? Value)[] records)
    {
        long offset = log.Append(MakeBatch(NowMs, records), leaderEpoch: 0).FirstOffset;
        log.UpdateHighWatermark(log.LogEndOffset);
        return offset;
    }

    /// <summary>Appends records with fresh keys until the log rolls; returns the new active segment's base offset.</summary>
    private long RollWithFiller(PartitionLog log)
    {
        int segments = log.SegmentCount;
        int i = 0;
        while (log.SegmentCount == segments)
        {
            Append(log, ($"filler-{Guid.NewGuid():N}-{i++}", "filler"));
        }

        return log.Segments[^1].BaseOffset;
    }

    private static bool IsFiller(KeyedRecord record) => record.Key.StartsWith("filler-", StringComparison.Ordinal);

    private static byte[] MakeBatch(long timestamp, params (string Key, string? Value)[] records)
    {
        using var builder = new RecordBatchBuilder();
        foreach ((string key, string? value) in records)
        {
            builder.Append(timestamp, Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));
        }

        return builder.ToArray();
    }

    private static byte[] Copy(LogReadResult result)
    {
        var buffer = new byte[result.Length];
        Assert.Equal(result.Length, result.CopyTo(buffer));
        return buffer;
    }

    /// <summary>Every record of the log, following fetches from offset 0 as a consumer does.</summary>
    private static List<KeyedRecord> ReadAll(PartitionLog log, long from = 0)
    {
        var all = new List<KeyedRecord>();
        long next = Math.Max(from, log.LogStartOffset);
        while (next < log.LogEndOffset)
        {
            LogReadResult result = log.Read(next, 1 << 20, minOneBatch: true, log.LogEndOffset);
            Assert.Equal(ErrorCode.None, result.Error);
            if (result.Length == 0)
            {
                break;
            }

            byte[] bytes = Copy(result);
            all.AddRange(ParseBatches(bytes).Where(r => r.Offset >= next));
            int position = 0;
            while (position < bytes.Length)
            {
                RecordBatchHeader.TryRead(bytes.AsSpan(position), out RecordBatchHeader header);
                next = header.NextOffset;
                position += (int)header.TotalSize;
            }
        }

        return all;
    }

    private static List<KeyedRecord> ParseBatches(byte[] bytes)
    {
        var records = new List<KeyedRecord>();
        int position = 0;
        while (position < bytes.Length)
        {
            Assert.True(RecordBatchHeader.TryRead(bytes.AsSpan(position), out RecordBatchHeader header));
            byte[] batch = bytes.AsSpan(position, (int)header.TotalSize).ToArray();
            Assert.True(RecordBatch.IsCrcValid(batch), "bad CRC");
            if (header.Compression != CompressionType.None)
            {
                batch = RecordBatchCompression.Decompress(batch);
            }

            foreach (Protocol.Records.Record record in RecordReader.FromBatch(batch))
            {
                records.Add(new KeyedRecord(
                    header.BaseOffset + record.OffsetDelta,
                    Encoding.UTF8.GetString(record.Key),
                    record.IsValueNull ? null : Encoding.UTF8.GetString(record.Value)));
            }

            position += (int)header.TotalSize;
        }

        return records;
    }
}
