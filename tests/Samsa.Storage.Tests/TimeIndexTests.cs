using System.Buffers.Binary;

namespace Samsa.Storage.Tests;

public sealed class TimeIndexTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string IndexPath(long baseOffset = 100) => _dir.Combine(LogSegment.FileName(baseOffset, TimeIndex.FileSuffix));

    [Fact]
    public void Empty_index_looks_up_to_no_timestamp_at_the_segment_start()
    {
        using var index = new TimeIndex(IndexPath(), 100, 1200);
        Assert.Equal(new TimestampOffset(-1, 100), index.Lookup(5000));
        Assert.Equal(new TimestampOffset(-1, 100), index.LastEntry);
        Assert.Equal(0, index.EntryCount);
    }

    [Fact]
    public void Lookup_returns_the_entry_with_the_largest_timestamp_at_or_below_the_target()
    {
        using var index = new TimeIndex(IndexPath(), 100, 1200);
        Assert.True(index.MaybeAppend(1000, 100));
        Assert.True(index.MaybeAppend(2000, 110));
        Assert.True(index.MaybeAppend(3500, 140));

        Assert.Equal(new TimestampOffset(-1, 100), index.Lookup(999));
        Assert.Equal(new TimestampOffset(1000, 100), index.Lookup(1000));
        Assert.Equal(new TimestampOffset(1000, 100), index.Lookup(1999));
        Assert.Equal(new TimestampOffset(2000, 110), index.Lookup(3499));
        Assert.Equal(new TimestampOffset(3500, 140), index.Lookup(long.MaxValue));
        Assert.Equal(new TimestampOffset(3500, 140), index.LastEntry);
    }

    [Fact]
    public void Entries_are_added_only_when_the_timestamp_grows()
    {
        using var index = new TimeIndex(IndexPath(), 100, 1200);
        Assert.False(index.MaybeAppend(-1, 100));
        Assert.False(index.MaybeAppend(0, 100));
        Assert.True(index.MaybeAppend(50, 101));
        Assert.False(index.MaybeAppend(50, 105));
        Assert.False(index.MaybeAppend(40, 106));
        Assert.True(index.MaybeAppend(51, 107));
        Assert.Equal(2, index.EntryCount);
        Assert.Equal(new TimestampOffset(51, 107), index.LastEntry);
    }

    [Fact]
    public void Offsets_must_not_go_backwards_or_leave_the_segment()
    {
        using var index = new TimeIndex(IndexPath(), 100, 1200);
        index.MaybeAppend(10, 120);
        Assert.Throws<InvalidOperationException>(() => index.MaybeAppend(20, 119));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.MaybeAppend(30, 99));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.MaybeAppend(30, 100 + (long)int.MaxValue + 1));
        Assert.Equal(1, index.EntryCount);
    }

    [Fact]
    public void The_last_slot_is_kept_for_the_final_entry()
    {
        using var index = new TimeIndex(IndexPath(), 0, 3 * TimeIndex.EntrySize);
        Assert.Equal(3, index.MaxEntries);
        index.MaybeAppend(10, 1);
        Assert.False(index.IsFull);
        index.MaybeAppend(20, 2);
        Assert.True(index.IsFull);
        Assert.Throws<InvalidOperationException>(() => index.MaybeAppend(30, 3));
        Assert.True(index.MaybeAppend(30, 3, isFinalEntry: true));
        Assert.Throws<InvalidOperationException>(() => index.MaybeAppend(40, 4, isFinalEntry: true));
        Assert.Equal(3, index.EntryCount);
    }

    [Fact]
    public void Lookup_is_exact_over_many_entries()
    {
        using var index = new TimeIndex(IndexPath(0), 0, 1 << 20);
        for (int i = 1; i <= 10_000; i++)
        {
            index.MaybeAppend(i * 10L, i * 3L);
        }

        for (long target = 0; target < 100_100; target += 7)
        {
            long expected = Math.Min(target / 10, 10_000);
            TimestampOffset entry = index.Lookup(target);
            Assert.Equal(expected == 0 ? -1 : expected * 10, entry.Timestamp);
            Assert.Equal(expected * 3, entry.Offset);
        }
    }

    [Fact]
    public void Active_file_is_preallocated_and_trimmed_when_inactive()
    {
        string path = IndexPath();
        using var index = new TimeIndex(path, 100, 1200);
        index.MaybeAppend(1000, 100);
        index.MaybeAppend(2000, 110);
        Assert.Equal(1200, new FileInfo(path).Length);
        index.TrimToValidSize();
        Assert.Equal(2 * TimeIndex.EntrySize, new FileInfo(path).Length);
        Assert.Equal(new TimestampOffset(2000, 110), index.Lookup(5000));

        index.MaybeAppend(3000, 120);
        Assert.Equal(1200, new FileInfo(path).Length);
        Assert.Equal(3, index.EntryCount);
    }

    [Fact]
    public void Close_trims_and_reopen_reads_the_entries_in_big_endian()
    {
        string path = IndexPath();
        using (var index = new TimeIndex(path, 100, 1200))
        {
            index.MaybeAppend(1_700_000_000_000, 100);
            index.MaybeAppend(1_700_000_000_500, 142);
        }

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(24, bytes.Length);
        Assert.Equal(1_700_000_000_000, BinaryPrimitives.ReadInt64BigEndian(bytes));
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8)));
        Assert.Equal(1_700_000_000_500, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(12)));
        Assert.Equal(42, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));

        using var reopened = new TimeIndex(path, 100, 1200);
        Assert.Equal(2, reopened.EntryCount);
        Assert.Equal(new TimestampOffset(1_700_000_000_000, 100), reopened.Lookup(1_700_000_000_499));
    }

    [Fact]
    public void Untrimmed_file_after_a_crash_is_read_up_to_the_first_empty_slot()
    {
        string path = IndexPath();
        var index = new TimeIndex(path, 100, 1200);
        index.MaybeAppend(1000, 100);
        index.MaybeAppend(2000, 105);
        index.MaybeAppend(3000, 109);
        index.Flush();
        // Copy the preallocated file as a crash would leave it, then close the original.
        string crashed = IndexPath(200);
        File.Copy(path, crashed);
        index.Dispose();
        Assert.Equal(1200, new FileInfo(crashed).Length);

        using var reopened = new TimeIndex(crashed, 100, 1200);
        Assert.Equal(3, reopened.EntryCount);
        Assert.Equal(new TimestampOffset(3000, 109), reopened.LastEntry);
    }

    [Fact]
    public void TruncateTo_removes_entries_at_or_above_the_offset()
    {
        using var index = new TimeIndex(IndexPath(), 100, 1200);
        index.MaybeAppend(1000, 100);
        index.MaybeAppend(2000, 110);
        index.MaybeAppend(3000, 120);
        index.TruncateTo(120);
        Assert.Equal(2, index.EntryCount);
        Assert.Equal(new TimestampOffset(2000, 110), index.Lookup(9999));
        index.TruncateTo(101);
        Assert.Equal(new TimestampOffset(1000, 100), index.LastEntry);
        Assert.True(index.MaybeAppend(1500, 101));
        index.Reset();
        Assert.Equal(0, index.EntryCount);
        Assert.Equal(new TimestampOffset(-1, 100), index.Lookup(9999));
    }

    [Fact]
    public void Consistency_check_rejects_non_monotonic_or_out_of_segment_entries()
    {
        string path = IndexPath();
        using (var index = new TimeIndex(path, 100, 1200))
        {
            index.MaybeAppend(1000, 100);
            index.MaybeAppend(2000, 110);
            Assert.True(index.IsConsistentWith(111));
            Assert.False(index.IsConsistentWith(110));
        }

        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(12), 999);
        File.WriteAllBytes(path, bytes);
        using var garbled = new TimeIndex(path, 100, 1200);
        Assert.False(garbled.IsConsistentWith(1000));
    }

    [Fact]
    public void Delete_removes_the_file()
    {
        string path = IndexPath();
        var index = new TimeIndex(path, 100, 1200);
        index.MaybeAppend(1000, 100);
        index.Delete();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task Lookups_run_while_the_writer_appends_and_remaps()
    {
        using var index = new TimeIndex(IndexPath(0), 0, 1 << 16);
        using var stop = new CancellationTokenSource();
        Task reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                TimestampOffset entry = index.Lookup(long.MaxValue);
                Assert.True(entry.Timestamp == -1 || entry.Offset == entry.Timestamp / 10);
            }
        });
        for (int round = 0; round < 20; round++)
        {
            for (int i = 1; i <= 100; i++)
            {
                index.MaybeAppend((round * 100 + i) * 10L, round * 100 + i);
            }

            index.TrimToValidSize();
        }

        await stop.CancelAsync();
        await reader;
        Assert.Equal(2000, index.EntryCount);
    }
}
