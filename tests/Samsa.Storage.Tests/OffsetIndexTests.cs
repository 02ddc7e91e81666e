using System.Buffers.Binary;

namespace Samsa.Storage.Tests;

public sealed class OffsetIndexTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string IndexPath(long baseOffset = 100) => _dir.Combine(LogSegment.FileName(baseOffset, OffsetIndex.FileSuffix));

    [Fact]
    public void Empty_index_looks_up_to_the_segment_start()
    {
        using var index = new OffsetIndex(IndexPath(), 100, 1024);
        Assert.Equal(new OffsetPosition(100, 0), index.Lookup(500));
        Assert.Equal(new OffsetPosition(100, 0), index.LookupByPosition(500));
        Assert.Equal(0, index.EntryCount);
    }

    [Fact]
    public void Lookup_returns_the_largest_entry_at_or_below_the_target()
    {
        using var index = new OffsetIndex(IndexPath(), 100, 1024);
        index.Append(110, 1000);
        index.Append(120, 2000);
        index.Append(135, 3000);

        Assert.Equal(new OffsetPosition(100, 0), index.Lookup(99));
        Assert.Equal(new OffsetPosition(100, 0), index.Lookup(109));
        Assert.Equal(new OffsetPosition(110, 1000), index.Lookup(110));
        Assert.Equal(new OffsetPosition(110, 1000), index.Lookup(119));
        Assert.Equal(new OffsetPosition(120, 2000), index.Lookup(134));
        Assert.Equal(new OffsetPosition(135, 3000), index.Lookup(long.MaxValue));

        Assert.Equal(new OffsetPosition(100, 0), index.LookupByPosition(999));
        Assert.Equal(new OffsetPosition(120, 2000), index.LookupByPosition(2999));
        Assert.Equal(new OffsetPosition(135, 3000), index.LookupByPosition(3000));
    }

    [Fact]
    public void Lookup_is_exact_over_many_entries()
    {
        using var index = new OffsetIndex(IndexPath(0), 0, 1 << 20);
        for (int i = 1; i <= 10_000; i++)
        {
            index.Append(i * 3L, i * 100);
        }

        for (long target = 0; target < 30_010; target += 7)
        {
            long expected = Math.Min(target / 3, 10_000);
            OffsetPosition entry = index.Lookup(target);
            Assert.Equal(expected * 3, entry.Offset);
            Assert.Equal((int)(expected * 100), entry.Position);
        }
    }

    [Fact]
    public void Entries_must_ascend()
    {
        using var index = new OffsetIndex(IndexPath(), 100, 1024);
        index.Append(110, 1000);
        Assert.Throws<InvalidOperationException>(() => index.Append(110, 2000));
        Assert.Throws<InvalidOperationException>(() => index.Append(111, 1000));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Append(99, 5000));
    }

    [Fact]
    public void A_full_index_says_so_and_refuses_more()
    {
        using var index = new OffsetIndex(IndexPath(), 100, 3 * OffsetIndex.EntrySize);
        index.Append(101, 10);
        index.Append(102, 20);
        Assert.False(index.IsFull);
        index.Append(103, 30);
        Assert.True(index.IsFull);
        Assert.Throws<InvalidOperationException>(() => index.Append(104, 40));
    }

    [Fact]
    public void TruncateTo_removes_entries_at_and_above_the_offset()
    {
        using var index = new OffsetIndex(IndexPath(), 100, 1024);
        index.Append(110, 1000);
        index.Append(120, 2000);
        index.Append(130, 3000);
        index.TruncateTo(120);
        Assert.Equal(1, index.EntryCount);
        Assert.Equal(new OffsetPosition(110, 1000), index.Lookup(1000));
        index.Append(115, 1500);
        Assert.Equal(new OffsetPosition(115, 1500), index.Lookup(1000));
        index.Reset();
        Assert.Equal(0, index.EntryCount);
    }

    [Fact]
    public void File_is_preallocated_while_active_and_trimmed_on_close_in_big_endian()
    {
        string path = IndexPath();
        using (var index = new OffsetIndex(path, 100, 4096))
        {
            index.Append(101, 0x0102);
            index.Append(0x1_0000 + 100, 0x0A0B0C0D);
            Assert.Equal(4096, new FileInfo(path).Length);
        }

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 0, 0, 1, 2, 0, 1, 0, 0, 0x0A, 0x0B, 0x0C, 0x0D }, bytes);
    }

    [Fact]
    public void Reopening_restores_entries_from_a_trimmed_file()
    {
        string path = IndexPath();
        using (var index = new OffsetIndex(path, 100, 4096))
        {
            index.Append(105, 500);
            index.Append(107, 700);
        }

        using var reopened = new OffsetIndex(path, 100, 4096);
        Assert.Equal(2, reopened.EntryCount);
        Assert.Equal(new OffsetPosition(107, 700), reopened.Lookup(200));
        reopened.Append(109, 900);
        Assert.Equal(3, reopened.EntryCount);
    }

    [Fact]
    public void Reopening_an_untrimmed_file_stops_at_the_first_empty_slot()
    {
        string path = IndexPath();
        var bytes = new byte[4096];
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 8), i + 1);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan((i * 8) + 4), (i + 1) * 100);
        }

        File.WriteAllBytes(path, bytes);
        using var index = new OffsetIndex(path, 100, 4096);
        Assert.Equal(3, index.EntryCount);
        Assert.Equal(new OffsetPosition(103, 300), index.Lookup(1000));
        Assert.True(index.IsConsistentWith(301));
        Assert.False(index.IsConsistentWith(300));
    }

    [Fact]
    public void Trim_then_append_grows_the_mapping_again()
    {
        using var index = new OffsetIndex(IndexPath(), 100, 4096);
        index.Append(101, 10);
        index.TrimToValidSize();
        Assert.Equal(8, new FileInfo(IndexPath()).Length);
        index.Append(102, 20);
        Assert.Equal(new OffsetPosition(102, 20), index.Lookup(102));
        Assert.Equal(new OffsetPosition(101, 10), index.Lookup(101));
    }

    [Fact]
    public async Task Lookups_run_while_entries_are_appended()
    {
        using var index = new OffsetIndex(IndexPath(0), 0, 1 << 20);
        using var stop = new CancellationTokenSource();
        Task reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                int count = index.EntryCount;
                OffsetPosition entry = index.Lookup(count * 2L);
                Assert.True(entry.Offset <= count * 2L);
                Assert.Equal(entry.Offset * 10, entry.Position);
            }
        });

        for (int i = 1; i <= 50_000; i++)
        {
            index.Append(i * 2L, i * 20);
            if (i % 10_000 == 0)
            {
                index.TrimToValidSize();
            }
        }

        stop.Cancel();
        await reader;
    }
}
