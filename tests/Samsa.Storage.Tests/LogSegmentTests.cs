using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

public sealed class LogSegmentTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Appends <paramref name="batches"/> batches of <paramref name="recordsPerBatch"/> records from <paramref name="baseOffset"/>.</summary>
    private static List<(long First, long Last, long Position, int Size)> Fill(LogSegment segment, long baseOffset, int batches, int recordsPerBatch, int padding = 0)
    {
        var layout = new List<(long, long, long, int)>();
        long next = baseOffset;
        for (int i = 0; i < batches; i++)
        {
            byte[] batch = Batches.Numbered("b" + i, recordsPerBatch, padding);
            RecordBatch.SetBaseOffset(batch, next);
            long position = segment.Size;
            segment.Append(next, next + recordsPerBatch - 1, batch);
            layout.Add((next, next + recordsPerBatch - 1, position, batch.Length));
            next += recordsPerBatch;
        }

        return layout;
    }

    [Fact]
    public void Segment_files_are_named_by_zero_padded_base_offset()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 1234, LogConfig.Default);
        Assert.True(File.Exists(_dir.Combine("00000000000000001234.log")));
        Assert.True(File.Exists(_dir.Combine("00000000000000001234.index")));
        Assert.True(LogSegment.TryParseFileName("00000000000000001234.log", ".log", out long parsed));
        Assert.Equal(1234, parsed);
        Assert.False(LogSegment.TryParseFileName("0000000000000000123x.log", ".log", out _));
        Assert.False(LogSegment.TryParseFileName("1234.log", ".log", out _));
    }

    [Fact]
    public void Read_starts_at_the_batch_holding_the_offset()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 50, LogConfig.Default);
        var layout = Fill(segment, 50, batches: 10, recordsPerBatch: 5);
        foreach ((long first, long last, long position, int size) in layout)
        {
            for (long offset = first; offset <= last; offset++)
            {
                FileSlice slice = segment.Read(offset, size, long.MaxValue, minOneBatch: false)!.Value;
                Assert.Equal(position, slice.Position);
                Assert.Equal(size, slice.Length);
            }
        }

        Assert.Null(segment.Read(100, 1000, long.MaxValue, minOneBatch: true));
    }

    [Fact]
    public void Read_returns_only_whole_batches_within_max_bytes()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, LogConfig.Default);
        var layout = Fill(segment, 0, batches: 6, recordsPerBatch: 2);
        int twoBatches = layout[0].Size + layout[1].Size;

        Assert.Equal(twoBatches, segment.Read(0, twoBatches, long.MaxValue, false)!.Value.Length);
        Assert.Equal(twoBatches, segment.Read(0, twoBatches + layout[2].Size - 1, long.MaxValue, false)!.Value.Length);
        Assert.Equal(0, segment.Read(0, layout[0].Size - 1, long.MaxValue, false)!.Value.Length);
        Assert.Equal(layout[0].Size, segment.Read(0, 1, long.MaxValue, true)!.Value.Length);
        Assert.Equal(layout[0].Size, segment.Read(0, 0, long.MaxValue, true)!.Value.Length);
    }

    [Fact]
    public void Read_stops_at_max_position()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, LogConfig.Default);
        var layout = Fill(segment, 0, batches: 4, recordsPerBatch: 3);
        FileSlice slice = segment.Read(0, 1 << 20, layout[2].Position, true)!.Value;
        Assert.Equal(layout[2].Position, slice.Length);
        Assert.Null(segment.Read(layout[2].First, 1 << 20, layout[2].Position, true));
    }

    [Fact]
    public void Index_gets_an_entry_every_interval_and_lookups_stay_exact()
    {
        var config = LogConfig.Default with { IndexIntervalBytes = 500 };
        using LogSegment segment = LogSegment.Create(_dir.Path, 1000, config);
        var layout = Fill(segment, 1000, batches: 400, recordsPerBatch: 3, padding: 20);
        Assert.InRange(segment.Index.EntryCount, segment.Size / 700, (segment.Size / 500) + 1);

        foreach ((long first, long last, long position, _) in layout)
        {
            Assert.Equal(position, segment.FindBatchPosition(first, segment.Size));
            Assert.Equal(position, segment.FindBatchPosition(last, segment.Size));
        }

        Assert.Equal(segment.Size, segment.FindBatchPosition(layout[^1].Last + 1, segment.Size));
    }

    [Fact]
    public void Recover_of_an_intact_segment_truncates_nothing_and_rebuilds_the_same_index()
    {
        var config = LogConfig.Default with { IndexIntervalBytes = 300 };
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, config);
        Fill(segment, 0, batches: 100, recordsPerBatch: 2, padding: 10);
        var before = new List<OffsetPosition>();
        for (long offset = 0; offset < 200; offset++)
        {
            before.Add(segment.Index.Lookup(offset));
        }

        long size = segment.Size;
        Assert.Equal(0, segment.Recover());
        Assert.Equal(size, segment.Size);
        Assert.Equal(200, segment.NextOffset);
        for (long offset = 0; offset < 200; offset++)
        {
            Assert.Equal(before[(int)offset], segment.Index.Lookup(offset));
        }
    }

    [Fact]
    public void TruncateTo_cuts_at_the_batch_holding_the_offset()
    {
        using LogSegment segment = LogSegment.Create(_dir.Path, 0, LogConfig.Default with { IndexIntervalBytes = 100 });
        var layout = Fill(segment, 0, batches: 10, recordsPerBatch: 4);
        long removed = segment.TruncateTo(21);
        Assert.Equal(layout[5].Position, segment.Size);
        Assert.Equal(layout[^1].Position + layout[^1].Size - layout[5].Position, removed);
        Assert.Equal(20, segment.NextOffset);
        Assert.Equal(layout[5].Position, new FileInfo(segment.LogPath).Length);
        Assert.True(segment.Index.LastEntry.Position < segment.Size);
        Assert.Equal(0, segment.TruncateTo(20));
    }

    [Fact]
    public void Reopen_reads_the_same_data()
    {
        List<(long First, long Last, long Position, int Size)> layout;
        using (LogSegment segment = LogSegment.Create(_dir.Path, 0, LogConfig.Default with { IndexIntervalBytes = 100 }))
        {
            layout = Fill(segment, 0, batches: 20, recordsPerBatch: 2);
        }

        using LogSegment reopened = LogSegment.Open(_dir.Path, 0, LogConfig.Default with { IndexIntervalBytes = 100 });
        Assert.True(reopened.Index.IsConsistentWith(reopened.Size));
        Assert.Equal(40, reopened.NextOffset);
        Assert.Equal(layout[7].Position, reopened.Read(15, 100, long.MaxValue, true)!.Value.Position);
    }

    [Fact]
    public void Delete_removes_the_log_and_both_index_files()
    {
        LogSegment segment = LogSegment.Create(_dir.Path, 0, LogConfig.Default);
        Fill(segment, 0, 2, 2);
        segment.Delete();
        Assert.Empty(Directory.GetFiles(_dir.Path));
    }
}
