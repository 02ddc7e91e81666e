using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>The time index and largest timestamp that <see cref="LogSegment"/> keeps next to its offset index.</summary>
public sealed class LogSegmentTimeIndexTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static LogConfig Config(int indexIntervalBytes = 0) => LogConfig.Default with { IndexIntervalBytes = indexIntervalBytes };

    /// <summary>Appends one batch per timestamp list, each as its own append; returns every record's (offset, timestamp).</summary>
    private static List<(long Offset, long Timestamp)> Append(LogSegment segment, params long[][] batches)
    {
        var records = new List<(long, long)>();
        long next = segment.Size == 0 ? segment.BaseOffset : segment.NextOffset;
        foreach (long[] timestamps in batches)
        {
            byte[] batch = TimestampedBatches.Make(timestamps);
            RecordBatch.SetBaseOffset(batch, next);
            segment.Append(next, next + timestamps.Length - 1, batch);
            foreach (long timestamp in timestamps)
            {
                records.Add((next++, timestamp));
            }
        }

        return records;
    }

    private static List<TimestampOffset> Entries(TimeIndex index)
    {
        var entries = new List<TimestampOffset>();
        long target = long.MaxValue;
        while (true)
        {
            TimestampOffset entry = index.Lookup(target);
            if (entry.Timestamp < 0)
            {
                entries.Reverse();
                return entries;
            }

            entries.Add(entry);
            target = entry.Timestamp - 1;
        }
    }

    [Fact]
    public void Empty_segment_has_no_max_timestamp()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, Config());
        Assert.Equal(-1, segment.MaxTimestamp);
        Assert.Equal(-1, segment.OffsetOfMaxTimestamp);
        Assert.Null(segment.FindOffsetByTimestamp(0, 0));
    }

    [Fact]
    public void Max_timestamp_is_the_largest_batch_timestamp_first_reached()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 10, Config(indexIntervalBytes: 1 << 20));
        Append(segment, [100, 300, 200], [250], [300, 50], [299]);
        Assert.Equal(300, segment.MaxTimestamp);
        Assert.Equal(10, segment.OffsetOfMaxTimestamp);
        Assert.Equal(0, segment.TimeIndex.EntryCount);
    }

    [Fact]
    public void Time_index_gets_an_entry_with_an_offset_index_entry_only_when_the_max_grew()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, Config(indexIntervalBytes: 0));
        // Every append after the first adds an offset-index entry.
        Append(segment, [1000], [900], [1500, 1400], [1500], [1200], [2000]);
        Assert.Equal(5, segment.Index.EntryCount);
        Assert.Equal([new TimestampOffset(1000, 0), new TimestampOffset(1500, 2), new TimestampOffset(2000, 6)], Entries(segment.TimeIndex));
    }

    [Fact]
    public void Becoming_inactive_adds_the_final_entry_and_trims_both_indexes()
    {
        LogConfig config = Config(indexIntervalBytes: 1 << 20);
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, config);
        Append(segment, [1000], [3000, 2000], [2500]);
        Assert.Equal(0, segment.TimeIndex.EntryCount);
        segment.OnBecomeInactive();
        Assert.Equal([new TimestampOffset(3000, 1)], Entries(segment.TimeIndex));
        Assert.Equal(TimeIndex.EntrySize, new FileInfo(segment.TimeIndex.Path).Length);
        Assert.Equal(0, new FileInfo(segment.Index.Path).Length);
    }

    [Fact]
    public void Close_adds_the_final_entry_so_a_clean_reopen_knows_the_max_timestamp()
    {
        LogConfig config = Config(indexIntervalBytes: 200);
        var records = new List<(long Offset, long Timestamp)>();
        using (LogSegment segment = LogSegment.Create(_dir.Path, 0, config))
        {
            for (int i = 0; i < 50; i++)
            {
                records.AddRange(Append(segment, [5000 + ((i * 37) % 101)]));
            }
        }

        TimestampOffset expected = TimestampedBatches.ExpectedMax(records)!.Value;
        using LogSegment reopened = LogSegment.Open(_dir.Path, 0, config);
        Assert.Equal(expected, reopened.TimeIndex.LastEntry);
        Assert.True(reopened.TryLoadTail());
        Assert.Equal(expected.Timestamp, reopened.MaxTimestamp);
        Assert.Equal(expected.Offset, reopened.OffsetOfMaxTimestamp);
    }

    [Fact]
    public void Tail_load_finds_a_larger_timestamp_after_the_last_index_entry()
    {
        LogConfig config = Config(indexIntervalBytes: 150);
        string logPath;
        using (LogSegment segment = LogSegment.Create(_dir.Path, 0, config))
        {
            for (int i = 0; i < 30; i++)
            {
                Append(segment, [1000 + i]);
            }

            logPath = segment.LogPath;
        }

        // Append one batch behind the segment's back: the indexes do not know it.
        byte[] extra = TimestampedBatches.Make([9999]);
        RecordBatch.SetBaseOffset(extra, 30);
        using (var stream = new FileStream(logPath, FileMode.Append))
        {
            stream.Write(extra);
        }

        using LogSegment reopened = LogSegment.Open(_dir.Path, 0, config);
        Assert.True(reopened.TryLoadTail());
        Assert.Equal(9999, reopened.MaxTimestamp);
        Assert.Equal(30, reopened.OffsetOfMaxTimestamp);
    }

    [Fact]
    public void Recover_rebuilds_the_same_time_index_and_max()
    {
        LogConfig config = Config(indexIntervalBytes: 100);
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, config);
        var random = new Random(7);
        for (int i = 0; i < 60; i++)
        {
            Append(segment, [1000 + (i * 5) + random.Next(20)]);
        }

        List<TimestampOffset> before = Entries(segment.TimeIndex);
        (long max, long offsetOfMax) = (segment.MaxTimestamp, segment.OffsetOfMaxTimestamp);
        Assert.True(before.Count > 3);
        Assert.Equal(0, segment.Recover());
        Assert.Equal(before, Entries(segment.TimeIndex));
        Assert.Equal((max, offsetOfMax), (segment.MaxTimestamp, segment.OffsetOfMaxTimestamp));
    }

    [Fact]
    public void TruncateTo_drops_entries_and_recomputes_the_max_from_what_remains()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, Config(indexIntervalBytes: 0));
        Append(segment, [10], [20]);
        // One append of two batches: the offset-index entry points at the first, the time-index entry at the second.
        byte[] first = TimestampedBatches.Make([5]);
        byte[] second = TimestampedBatches.Make([30]);
        RecordBatch.SetBaseOffset(first, 2);
        RecordBatch.SetBaseOffset(second, 3);
        segment.Append(2, 3, [.. first, .. second]);
        Assert.Equal(new TimestampOffset(30, 3), segment.TimeIndex.LastEntry);

        segment.TruncateTo(3);
        Assert.Equal(3, segment.NextOffset);
        Assert.Equal(20, segment.MaxTimestamp);
        Assert.Equal(1, segment.OffsetOfMaxTimestamp);
        Assert.Equal(new TimestampOffset(20, 1), segment.FindOffsetByTimestamp(11, 0));
        Assert.Null(segment.FindOffsetByTimestamp(21, 0));

        segment.TruncateTo(0);
        Assert.Equal(-1, segment.MaxTimestamp);
        Assert.Equal(0, segment.TimeIndex.EntryCount);
    }

    [Fact]
    public void FindOffsetByTimestamp_returns_the_first_record_reaching_the_target()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 100, Config(indexIntervalBytes: 80));
        var random = new Random(11);
        var records = new List<(long Offset, long Timestamp)>();
        for (int i = 0; i < 80; i++)
        {
            long[] timestamps = new long[1 + random.Next(4)];
            for (int r = 0; r < timestamps.Length; r++)
            {
                timestamps[r] = 10_000 + (i * 10) + random.Next(-60, 60);
            }

            records.AddRange(Append(segment, timestamps));
        }

        Assert.True(segment.TimeIndex.EntryCount > 5);
        for (long target = 9_900; target <= 10_900; target += 3)
        {
            Assert.Equal(TimestampedBatches.Expected(records, target), segment.FindOffsetByTimestamp(target, 0));
            Assert.Equal(TimestampedBatches.Expected(records, target, 150), segment.FindOffsetByTimestamp(target, 150));
        }
    }
}
