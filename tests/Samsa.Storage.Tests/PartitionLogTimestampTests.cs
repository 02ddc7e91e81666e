using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>Roll by segment.ms and by a full time index, lookups by timestamp and max timestamp, and time-index recovery.</summary>
public sealed class PartitionLogTimestampTests : IDisposable
{
    private static readonly TopicPartition Tp = new("clicks", 0);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("clicks-0");

    private PartitionLog Open(LogConfig config, bool clean = false, ListLogger? logger = null, TimeProvider? time = null) =>
        PartitionLog.Open(LogDir, Tp, config, clean, logger, time);

    /// <summary>Appends one batch with the given record timestamps and returns each record's (offset, timestamp).</summary>
    private static List<(long Offset, long Timestamp)> Append(
        PartitionLog log, long[] timestamps, CompressionType compression = CompressionType.None, long? logAppendTime = null, int padding = 0)
    {
        byte[] batch = TimestampedBatches.Make(timestamps, compression, logAppendTime, padding);
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out _));
        LogAppendResult result = log.Append(batch, 0);
        log.UpdateHighWatermark(log.LogEndOffset);
        var records = new List<(long, long)>();
        for (int i = 0; i < timestamps.Length; i++)
        {
            records.Add((result.FirstOffset + i, logAppendTime ?? timestamps[i]));
        }

        return records;
    }

    /// <summary>
    /// Many batches of 1-5 records over several segments: timestamps trend upwards but jump back and forth inside
    /// and across batches.
    /// </summary>
    private static List<(long Offset, long Timestamp)> AppendShuffled(PartitionLog log, int batches, int seed, CompressionType compression = CompressionType.None)
    {
        var random = new Random(seed);
        var records = new List<(long, long)>();
        for (int i = 0; i < batches; i++)
        {
            long[] timestamps = new long[1 + random.Next(5)];
            for (int r = 0; r < timestamps.Length; r++)
            {
                timestamps[r] = 100_000 + (i * 20) + random.Next(-150, 150);
            }

            records.AddRange(Append(log, timestamps, compression, padding: 20));
        }

        return records;
    }

    private static void AssertLookups(PartitionLog log, List<(long Offset, long Timestamp)> records, long step = 7)
    {
        long min = records.Min(r => r.Timestamp);
        long max = records.Max(r => r.Timestamp);
        for (long target = min - 10; target <= max + 10; target += step)
        {
            Assert.Equal(TimestampedBatches.Expected(records, target, log.LogStartOffset), log.FetchOffsetByTimestamp(target));
        }

        Assert.Equal(TimestampedBatches.ExpectedMax(records), log.FetchOffsetOfMaxTimestamp());
    }

    private static LogConfig SmallSegments => LogConfig.Default with { SegmentBytes = 2048, IndexIntervalBytes = 200 };

    [Fact]
    public void Segment_rolls_once_the_appended_timestamps_are_segment_ms_past_the_first_batch()
    {
        var config = LogConfig.Default with { SegmentMs = 1000 };
        using PartitionLog log = Open(config);
        Append(log, [50_000]);
        Append(log, [50_900, 51_000]);
        Append(log, [50_500]);
        Assert.Equal(1, log.SegmentCount);

        Append(log, [50_200, 51_001]);
        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(4, log.Segments[1].BaseOffset);
        Assert.Equal(51_000, log.Segments[0].MaxTimestamp);
        Assert.Equal(51_001, log.Segments[1].MaxTimestamp);

        Append(log, [52_001]);
        Assert.Equal(2, log.SegmentCount);
        Append(log, [52_002]);
        Assert.Equal(3, log.SegmentCount);
    }

    [Fact]
    public void Segment_without_timestamps_rolls_by_the_clock_since_it_became_active()
    {
        var time = new ManualTimeProvider();
        var config = LogConfig.Default with { SegmentMs = 60_000 };
        using PartitionLog log = Open(config, time: time);
        Append(log, [-1]);
        time.Advance(TimeSpan.FromSeconds(60));
        Append(log, [-1]);
        Assert.Equal(1, log.SegmentCount);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Append(log, [-1]);
        Assert.Equal(2, log.SegmentCount);

        time.Advance(TimeSpan.FromSeconds(30));
        Append(log, [-1, -1]);
        time.Advance(TimeSpan.FromSeconds(30));
        Append(log, [-1]);
        Assert.Equal(2, log.SegmentCount);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Append(log, [-1]);
        Assert.Equal(3, log.SegmentCount);
        Assert.Equal(-1, log.Segments[0].MaxTimestamp);
    }

    [Fact]
    public void An_empty_active_segment_never_rolls_by_age()
    {
        var time = new ManualTimeProvider();
        using PartitionLog log = Open(LogConfig.Default with { SegmentMs = 1 }, time: time);
        time.Advance(TimeSpan.FromDays(30));
        Append(log, [1]);
        Assert.Equal(1, log.SegmentCount);
    }

    [Fact]
    public void Jitter_shortens_segment_ms_by_less_than_the_jitter()
    {
        var config = LogConfig.Default with { SegmentMs = 10_000, SegmentJitterMs = 4_000 };
        for (int round = 0; round < 20; round++)
        {
            string dir = _dir.Combine("jitter-" + round);
            using (PartitionLog log = PartitionLog.Open(dir, Tp, config))
            {
                Append(log, [1_000_000]);
                Append(log, [1_006_000]);
                Assert.Equal(1, log.SegmentCount);
                Append(log, [1_010_001]);
                Assert.Equal(2, log.SegmentCount);
            }
        }
    }

    [Fact]
    public void Full_time_index_rolls_the_segment()
    {
        // Room for 3 time-index entries (the last kept for the final one) and 4 offset-index entries.
        var config = LogConfig.Default with { MaxIndexSize = 3 * TimeIndex.EntrySize, IndexIntervalBytes = 0 };
        using PartitionLog log = Open(config);
        Append(log, [10]);
        Append(log, [20]);
        Append(log, [30]);
        Assert.Equal(1, log.SegmentCount);
        Assert.True(log.Segments[0].TimeIndex.IsFull);
        Assert.False(log.Segments[0].Index.IsFull);

        Append(log, [40]);
        Assert.Equal(2, log.SegmentCount);
        LogSegment rolled = log.Segments[0];
        Assert.Equal(2, rolled.TimeIndex.EntryCount);
        Assert.Equal(new TimestampOffset(30, 2), rolled.TimeIndex.LastEntry);
        Assert.Equal(new TimestampOffset(30, 2), log.FetchOffsetByTimestamp(25));
        Assert.Equal(new TimestampOffset(40, 3), log.FetchOffsetByTimestamp(31));
    }

    [Fact]
    public void Lookup_by_timestamp_finds_the_first_record_at_or_after_the_target_across_segments()
    {
        using PartitionLog log = Open(SmallSegments);
        List<(long Offset, long Timestamp)> records = AppendShuffled(log, batches: 150, seed: 1);
        Assert.True(log.SegmentCount > 4);
        Assert.All(log.Segments.SkipLast(1), s => Assert.True(s.TimeIndex.EntryCount > 1));
        AssertLookups(log, records);
    }

    [Theory]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public void Lookup_by_timestamp_finds_the_exact_record_inside_compressed_batches(CompressionType compression)
    {
        using PartitionLog log = Open(SmallSegments);
        List<(long Offset, long Timestamp)> records = AppendShuffled(log, batches: 120, seed: 2, compression);
        Assert.True(log.SegmentCount > 1);
        AssertLookups(log, records, step: 3);
    }

    [Fact]
    public void Log_append_time_batches_answer_with_the_broker_timestamp()
    {
        using PartitionLog log = Open(SmallSegments);
        var records = new List<(long Offset, long Timestamp)>();
        records.AddRange(Append(log, [5, 1, 3], logAppendTime: 1000));
        records.AddRange(Append(log, [2, 9], logAppendTime: 2000));
        records.AddRange(Append(log, [7], compression: CompressionType.Gzip, logAppendTime: 3000));
        Assert.Equal(new TimestampOffset(1000, 0), log.FetchOffsetByTimestamp(0));
        Assert.Equal(new TimestampOffset(2000, 3), log.FetchOffsetByTimestamp(1001));
        Assert.Equal(new TimestampOffset(3000, 5), log.FetchOffsetByTimestamp(2001));
        Assert.Null(log.FetchOffsetByTimestamp(3001));
        Assert.Equal(new TimestampOffset(3000, 5), log.FetchOffsetOfMaxTimestamp());
    }

    [Fact]
    public void Targets_before_and_after_everything()
    {
        using PartitionLog log = Open(SmallSegments);
        Assert.Null(log.FetchOffsetByTimestamp(0));
        Assert.Null(log.FetchOffsetOfMaxTimestamp());
        List<(long Offset, long Timestamp)> records = AppendShuffled(log, batches: 60, seed: 3);
        Assert.Equal(new TimestampOffset(records[0].Timestamp, 0), log.FetchOffsetByTimestamp(0));
        Assert.Equal(new TimestampOffset(records[0].Timestamp, 0), log.FetchOffsetByTimestamp(long.MinValue));
        Assert.Null(log.FetchOffsetByTimestamp(records.Max(r => r.Timestamp) + 1));
        Assert.Null(log.FetchOffsetByTimestamp(long.MaxValue));
    }

    [Fact]
    public void Max_timestamp_is_the_first_record_holding_it()
    {
        using PartitionLog log = Open(SmallSegments);
        var records = new List<(long Offset, long Timestamp)>();
        records.AddRange(Append(log, [10, 20]));
        records.AddRange(Append(log, [500, 40, 500]));
        records.AddRange(AppendShuffled(log, batches: 40, seed: 4));
        records.AddRange(Append(log, [7, 200_000, 8, 200_000], compression: CompressionType.Gzip));
        records.AddRange(Append(log, [200_000]));
        Assert.Equal(TimestampedBatches.ExpectedMax(records), log.FetchOffsetOfMaxTimestamp());
        Assert.Equal(200_000, log.FetchOffsetOfMaxTimestamp()!.Value.Timestamp);
    }

    [Fact]
    public void Lookups_after_truncation_see_only_what_remains()
    {
        using PartitionLog log = Open(SmallSegments);
        List<(long Offset, long Timestamp)> records = AppendShuffled(log, batches: 150, seed: 5);
        long cut = records[records.Count * 2 / 3].Offset;
        log.TruncateTo(cut);
        List<(long Offset, long Timestamp)> kept = records.Where(r => r.Offset < log.LogEndOffset).ToList();
        Assert.True(kept.Count < records.Count);
        AssertLookups(log, kept);

        List<(long Offset, long Timestamp)> more = AppendShuffled(log, batches: 30, seed: 6);
        AssertLookups(log, [.. kept, .. more]);
    }

    [Fact]
    public void Max_timestamps_survive_a_clean_and_an_unclean_reopen()
    {
        List<(long Offset, long Timestamp)> records;
        List<(long, long)> maxima;
        using (PartitionLog log = Open(SmallSegments))
        {
            records = AppendShuffled(log, batches: 120, seed: 7);
            maxima = log.Segments.Select(s => (s.MaxTimestamp, s.OffsetOfMaxTimestamp)).ToList();
        }

        using (PartitionLog reopened = Open(SmallSegments, clean: true))
        {
            Assert.Equal(maxima, reopened.Segments.Select(s => (s.MaxTimestamp, s.OffsetOfMaxTimestamp)).ToList());
            AssertLookups(reopened, records);
        }

        using (PartitionLog recovered = Open(SmallSegments, clean: false))
        {
            Assert.Equal(maxima, recovered.Segments.Select(s => (s.MaxTimestamp, s.OffsetOfMaxTimestamp)).ToList());
            AssertLookups(recovered, records);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Deleted_time_index_is_rebuilt(int segment)
    {
        // The active segment gets room for many index entries: a single segment.
        LogConfig config = segment < 0 ? LogConfig.Default with { IndexIntervalBytes = 200 } : SmallSegments;
        List<(long Offset, long Timestamp)> records;
        string path;
        int entries;
        using (PartitionLog log = Open(config))
        {
            records = AppendShuffled(log, batches: 120, seed: 8);
            LogSegment victim = segment < 0 ? log.Segments[^1] : log.Segments[segment];
            path = victim.TimeIndex.Path;
            entries = victim.TimeIndex.EntryCount;
        }

        File.Delete(path);
        using PartitionLog reopened = Open(config, clean: true);
        LogSegment rebuilt = reopened.Segments.Single(s => s.TimeIndex.Path == path);
        Assert.True(File.Exists(path));
        Assert.True(rebuilt.TimeIndex.EntryCount >= entries - 1 && rebuilt.TimeIndex.EntryCount > 1, $"{rebuilt.TimeIndex.EntryCount} vs {entries}");
        AssertLookups(reopened, records);
    }

    [Fact]
    public void Garbled_time_index_of_an_old_segment_is_rebuilt_and_logged()
    {
        List<(long Offset, long Timestamp)> records;
        using (PartitionLog log = Open(SmallSegments))
        {
            records = AppendShuffled(log, batches: 120, seed: 9);
        }

        string path = Path.Combine(LogDir, LogSegment.FileName(0, TimeIndex.FileSuffix));
        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length >= 2 * TimeIndex.EntrySize);
        Array.Reverse(bytes);
        File.WriteAllBytes(path, bytes);

        var logger = new ListLogger();
        using PartitionLog reopened = Open(SmallSegments, clean: true, logger);
        Assert.Contains(logger.Lines, l => l.Message.Contains("rebuilt", StringComparison.Ordinal));
        Assert.True(reopened.Segments[0].TimeIndex.IsConsistentWith(reopened.Segments[1].BaseOffset));
        AssertLookups(reopened, records);
    }

    [Fact]
    public void Garbled_time_index_of_the_active_segment_is_recovered()
    {
        LogConfig config = LogConfig.Default with { IndexIntervalBytes = 200 };
        List<(long Offset, long Timestamp)> records;
        string path;
        using (PartitionLog log = Open(config))
        {
            records = AppendShuffled(log, batches: 100, seed: 10);
            path = log.Segments[^1].TimeIndex.Path;
        }

        byte[] bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length >= 2 * TimeIndex.EntrySize);
        Array.Reverse(bytes);
        File.WriteAllBytes(path, bytes);
        using PartitionLog reopened = Open(config, clean: true);
        Assert.True(reopened.Segments[0].TimeIndex.IsConsistentWith(reopened.LogEndOffset));
        AssertLookups(reopened, records);
    }

    [Fact]
    public void Orphan_time_index_files_are_removed_at_open()
    {
        using (PartitionLog log = Open(SmallSegments))
        {
            AppendShuffled(log, batches: 5, seed: 11);
        }

        string orphan = Path.Combine(LogDir, LogSegment.FileName(12345, TimeIndex.FileSuffix));
        File.WriteAllBytes(orphan, new byte[24]);
        using PartitionLog reopened = Open(SmallSegments, clean: true);
        Assert.False(File.Exists(orphan));
    }
}
