using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

/// <summary>
/// Crash recovery against damaged files: truncation and corruption at many byte positions. The check is always the
/// same: every batch before the damage is served by Read, nothing after it is invented, and one line says what happened.
/// </summary>
public sealed class RecoveryTests : IDisposable
{
    private static readonly TopicPartition Tp = new("ledger", 1);
    private static readonly LogConfig Config = LogConfig.Default with { SegmentBytes = 1024, IndexIntervalBytes = 100 };
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string LogDir => _dir.Combine("ledger-1");

    /// <summary>One batch as laid out on disk.</summary>
    private sealed record BatchInfo(int Segment, long SegmentBase, long Position, int Size, long BaseOffset, long NextOffset);

    private PartitionLog OpenUnclean(ListLogger? logger = null, long recoveryPoint = 0) =>
        PartitionLog.Open(LogDir, Tp, Config, hadCleanShutdown: false, logger, recoveryPoint: recoveryPoint);

    /// <summary>Writes <paramref name="batches"/> batches of 3 records labelled v&lt;offset&gt;, closes the log and returns the layout.</summary>
    private List<BatchInfo> WriteLog(int batches, int padding = 20)
    {
        using (PartitionLog log = PartitionLog.Open(LogDir, Tp, Config))
        {
            for (int i = 0; i < batches; i++)
            {
                long first = log.LogEndOffset;
                log.Append(Batches.Make([.. Enumerable.Range(0, 3).Select(r => "v" + (first + r) + new string('.', padding))]), leaderEpoch: 0);
            }
        }

        return Layout();
    }

    /// <summary>Parses the segment files' batch headers.</summary>
    private List<BatchInfo> Layout()
    {
        var result = new List<BatchInfo>();
        string[] files = [.. Directory.GetFiles(LogDir, "*.log").Order(StringComparer.Ordinal)];
        for (int s = 0; s < files.Length; s++)
        {
            byte[] bytes = File.ReadAllBytes(files[s]);
            long segmentBase = long.Parse(Path.GetFileNameWithoutExtension(files[s]), CultureInfo.InvariantCulture);
            int position = 0;
            while (position < bytes.Length)
            {
                Assert.True(RecordBatchHeader.TryRead(bytes.AsSpan(position), out RecordBatchHeader header));
                result.Add(new BatchInfo(s, segmentBase, position, (int)header.TotalSize, header.BaseOffset, header.NextOffset));
                position += (int)header.TotalSize;
            }
        }

        return result;
    }

    private string SegmentPath(long baseOffset) => Path.Combine(LogDir, LogSegment.FileName(baseOffset, ".log"));

    /// <summary>Reads the whole log and checks it is exactly offsets 0..<paramref name="end"/> with their own labels.</summary>
    private static void AssertServedExactly(PartitionLog log, long end, IEnumerable<long>? extraOffsets = null)
    {
        long[] expected = [.. Enumerable.Range(0, (int)end).Select(i => (long)i), .. extraOffsets ?? []];
        List<StoredRecord> records = Batches.ReadAll(log);
        Assert.Equal(expected, records.Select(r => r.Offset));
        Assert.All(records, r => Assert.StartsWith("v" + r.Offset + ".", r.Value, StringComparison.Ordinal));
    }

    [Fact]
    public void Flipping_any_byte_of_three_batches_keeps_every_batch_before_the_damage_and_invents_nothing()
    {
        List<BatchInfo> batches = WriteLog(6);
        Assert.All(batches, b => Assert.Equal(0, b.Segment));
        string path = SegmentPath(0);
        byte[] original = File.ReadAllBytes(path);
        long total = batches[^1].NextOffset;

        for (int k = 2; k <= 5; k += 3)
        {
            // A middle batch (2) and the last one (5).
            BatchInfo damaged = batches[k];
            for (int field = 0; field < damaged.Size; field++)
            {
                byte[] bytes = (byte[])original.Clone();
                bytes[damaged.Position + field] ^= 0xFF;
                File.WriteAllBytes(path, bytes);
                var logger = new ListLogger();
                using PartitionLog log = OpenUnclean(logger);
                var line = Assert.Single(logger.Lines);
                if (field is >= RecordBatchHeader.PartitionLeaderEpochOffset and < RecordBatchHeader.MagicOffset)
                {
                    // PartitionLeaderEpoch is outside the CRC (the broker stamps it): the records are intact.
                    AssertServedExactly(log, total);
                    Assert.Equal(LogLevel.Information, line.Level);
                }
                else if (field < RecordBatchHeader.BatchLengthOffset)
                {
                    // BaseOffset is outside the CRC too: a flip is caught only when it breaks the offset order, and the
                    // records served keep their own contents.
                    List<StoredRecord> records = Batches.ReadAll(log);
                    Assert.True(records.Count >= damaged.BaseOffset);
                    Assert.Equal(Enumerable.Range(0, (int)damaged.BaseOffset).Select(i => (long)i), records.Take((int)damaged.BaseOffset).Select(r => r.Offset));
                    int[] labels = [.. records.Select(r => int.Parse(r.Value[1..r.Value.IndexOf('.', StringComparison.Ordinal)], CultureInfo.InvariantCulture))];
                    Assert.Equal(labels.Order(), labels);
                    Assert.Equal(labels.Distinct().Count(), labels.Length);
                    Assert.All(labels, l => Assert.InRange(l, 0, total - 1));
                }
                else
                {
                    Assert.Equal(damaged.BaseOffset, log.LogEndOffset);
                    Assert.Equal(damaged.Position, new FileInfo(path).Length);
                    AssertServedExactly(log, damaged.BaseOffset);
                    Assert.Equal(k < batches.Count - 1 ? LogLevel.Error : LogLevel.Warning, line.Level);
                    Assert.Contains("position " + damaged.Position.ToString(CultureInfo.InvariantCulture), line.Message, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Truncating_at_every_byte_of_three_batches_keeps_the_whole_batches_before_the_cut()
    {
        List<BatchInfo> batches = WriteLog(6);
        string path = SegmentPath(0);
        byte[] original = File.ReadAllBytes(path);
        for (long cut = batches[2].Position; cut < batches[5].Position; cut++)
        {
            File.WriteAllBytes(path, original.AsSpan(0, (int)cut).ToArray());
            BatchInfo lastWhole = batches.Last(b => b.Position + b.Size <= cut);
            var logger = new ListLogger();
            using PartitionLog log = OpenUnclean(logger);
            Assert.Equal(lastWhole.NextOffset, log.LogEndOffset);
            AssertServedExactly(log, lastWhole.NextOffset);
            var line = Assert.Single(logger.Lines);
            bool torn = cut > lastWhole.Position + lastWhole.Size;
            Assert.Equal(torn ? LogLevel.Warning : LogLevel.Information, line.Level);
        }
    }

    [Fact]
    public void Random_damage_across_three_segments_keeps_everything_before_it_and_removes_what_follows()
    {
        List<BatchInfo> batches = WriteLog(30);
        long[] segmentBases = [.. batches.Select(b => b.SegmentBase).Distinct()];
        Assert.True(segmentBases.Length >= 3, $"{segmentBases.Length} segments");
        Dictionary<long, byte[]> originals = segmentBases.ToDictionary(b => b, b => File.ReadAllBytes(SegmentPath(b)));
        long totalBytes = originals.Values.Sum(b => (long)b.Length);
        var random = new Random(20240601);

        for (int iteration = 0; iteration < 60; iteration++)
        {
            foreach ((long segmentBase, byte[] bytes) in originals)
            {
                File.WriteAllBytes(SegmentPath(segmentBase), bytes);
            }

            // A position across all segments, then truncate there or flip a CRC-covered or framing byte.
            long global = random.NextInt64(totalBytes);
            int s = 0;
            while (global >= originals[segmentBases[s]].Length)
            {
                global -= originals[segmentBases[s]].Length;
                s++;
            }

            long position = global;
            BatchInfo hit = batches.Single(b => b.Segment == s && b.Position <= position && position < b.Position + b.Size);
            long field = position - hit.Position;
            bool truncate = random.Next(2) == 0;
            string path = SegmentPath(segmentBases[s]);
            if (truncate)
            {
                File.WriteAllBytes(path, originals[segmentBases[s]].AsSpan(0, (int)position).ToArray());
            }
            else
            {
                if (field is < RecordBatchHeader.BatchLengthOffset or (>= RecordBatchHeader.PartitionLeaderEpochOffset and < RecordBatchHeader.MagicOffset))
                {
                    // BaseOffset and PartitionLeaderEpoch are not covered by the CRC; the CRC field itself is.
                    position = hit.Position + RecordBatchHeader.CrcOffset + random.Next(hit.Size - RecordBatchHeader.CrcOffset);
                }

                byte[] damaged = (byte[])originals[segmentBases[s]].Clone();
                damaged[position] ^= (byte)(1 + random.Next(255));
                File.WriteAllBytes(path, damaged);
            }

            // A cut exactly at a batch boundary leaves whole batches: nothing to detect, later segments stay.
            bool detected = !(truncate && position == hit.Position);
            var logger = new ListLogger();
            using (PartitionLog log = OpenUnclean(logger))
            {
                long[] extra = detected ? [] : [.. batches.Where(b => b.Segment > s).SelectMany(b => LongRange(b.BaseOffset, b.NextOffset))];
                AssertServedExactly(log, hit.BaseOffset, extra);
                var line = Assert.Single(logger.Lines);
                if (detected)
                {
                    Assert.Equal(hit.BaseOffset, log.LogEndOffset);
                    Assert.Equal(s + 1, log.SegmentCount);
                    bool laterSegmentsRemoved = s < segmentBases.Length - 1;
                    bool validBatchAfter = !truncate && hit != batches.Last(b => b.Segment == s);
                    Assert.Equal(laterSegmentsRemoved || validBatchAfter ? LogLevel.Error : LogLevel.Warning, line.Level);
                    Assert.Contains("position " + hit.Position.ToString(CultureInfo.InvariantCulture), line.Message, StringComparison.Ordinal);
                    foreach (long later in segmentBases.Skip(s + 1))
                    {
                        Assert.False(File.Exists(SegmentPath(later)));
                    }

                    log.Append(Batches.Make("v" + log.LogEndOffset + "."), leaderEpoch: 1);
                    AssertServedExactly(log, hit.BaseOffset + 1);
                }
            }

            foreach (string file in Directory.GetFiles(LogDir))
            {
                File.Delete(file);
            }
        }
    }

    [Fact]
    public void A_corrupt_batch_in_the_middle_is_reported_as_such_with_its_position_and_reason()
    {
        List<BatchInfo> batches = WriteLog(5);
        string path = SegmentPath(0);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[batches[2].Position + RecordBatchHeader.RecordsOffset + 3] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var logger = new ListLogger();
        using PartitionLog log = OpenUnclean(logger);
        var line = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Contains("corrupt batch in the middle", line.Message, StringComparison.Ordinal);
        Assert.Contains($"at position {batches[2].Position} (CRC mismatch", line.Message, StringComparison.Ordinal);
        Assert.Contains($"a valid batch follows at position {batches[3].Position}", line.Message, StringComparison.Ordinal);
        Assert.Contains("ledger-1", line.Message, StringComparison.Ordinal);
        AssertServedExactly(log, batches[2].BaseOffset);
    }

    [Fact]
    public void Garbage_after_the_last_batch_is_a_torn_tail_not_a_corrupt_middle()
    {
        List<BatchInfo> batches = WriteLog(3);
        using (var stream = new FileStream(SegmentPath(0), FileMode.Append))
        {
            stream.Write(new byte[300]);
        }

        var logger = new ListLogger();
        using PartitionLog log = OpenUnclean(logger);
        var line = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Warning, line.Level);
        Assert.Contains("truncated 300 bytes", line.Message, StringComparison.Ordinal);
        Assert.Contains("magic byte 0", line.Message, StringComparison.Ordinal);
        AssertServedExactly(log, batches[^1].NextOffset);
    }

    [Fact]
    public void Damage_in_an_older_segment_removes_every_later_segment()
    {
        List<BatchInfo> batches = WriteLog(30);
        BatchInfo victim = batches.First(b => b.Segment == 1 && b.Position > 0);
        string path = SegmentPath(victim.SegmentBase);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[victim.Position + victim.Size - 1] ^= 1;
        File.WriteAllBytes(path, bytes);
        int segments = batches.Max(b => b.Segment) + 1;

        var logger = new ListLogger();
        using PartitionLog log = OpenUnclean(logger);
        Assert.Equal(2, log.SegmentCount);
        Assert.Equal(victim.BaseOffset, log.LogEndOffset);
        AssertServedExactly(log, victim.BaseOffset);
        var line = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Error, line.Level);
        Assert.Contains($"removed {segments - 2} later segments", line.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_recovery_point_limits_which_segments_are_checked()
    {
        List<BatchInfo> batches = WriteLog(30);
        long[] segmentBases = [.. batches.Select(b => b.SegmentBase).Distinct()];
        BatchInfo victim = batches.First(b => b.Segment == 0 && b.Position > 0);
        string path = SegmentPath(0);
        byte[] bytes = File.ReadAllBytes(path);
        bytes[victim.Position + RecordBatchHeader.RecordsOffset] ^= 1;
        File.WriteAllBytes(path, bytes);
        long end = batches[^1].NextOffset;

        // Segment 0 lies below the recovery point: it was fsynced, so it is not scanned.
        var logger = new ListLogger();
        using (PartitionLog log = OpenUnclean(logger, recoveryPoint: segmentBases[^1]))
        {
            Assert.Equal(end, log.LogEndOffset);
            Assert.Equal(segmentBases[^1], log.RecoveryPoint);
            Assert.Contains("checked 1 segments", Assert.Single(logger.Lines).Message, StringComparison.Ordinal);
        }

        // A recovery point inside the second segment checks it and every later one.
        logger = new ListLogger();
        using (PartitionLog log = OpenUnclean(logger, recoveryPoint: segmentBases[1] + 1))
        {
            Assert.Contains($"checked {segmentBases.Length - 1} segments", Assert.Single(logger.Lines).Message, StringComparison.Ordinal);
        }

        // Without a recovery point everything is checked and the damage found.
        logger = new ListLogger();
        using (PartitionLog log = OpenUnclean(logger, recoveryPoint: 0))
        {
            Assert.Equal(victim.BaseOffset, log.LogEndOffset);
            Assert.Equal(LogLevel.Error, Assert.Single(logger.Lines).Level);
        }
    }

    [Fact]
    public void The_recovery_point_follows_rolls_and_flushes_but_not_plain_appends()
    {
        using PartitionLog log = PartitionLog.Open(LogDir, Tp, Config);
        Assert.Equal(0, log.RecoveryPoint);
        log.Append(Batches.Numbered("a", 3, padding: 20), 0);
        Assert.Equal(0, log.RecoveryPoint);
        while (log.SegmentCount < 3)
        {
            log.Append(Batches.Numbered("b", 3, padding: 20), 0);
        }

        // A roll flushes the closed segment in the background, then moves the recovery point to its end.
        Assert.True(
            SpinWait.SpinUntil(() => log.RecoveryPoint == log.Segments[^1].BaseOffset, TimeSpan.FromSeconds(10)),
            $"recovery point {log.RecoveryPoint}, active segment base {log.Segments[^1].BaseOffset}");
        log.Append(Batches.Numbered("c", 1), 0);
        Assert.True(log.RecoveryPoint < log.LogEndOffset);
        log.Flush();
        Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
    }

    [Fact]
    public void After_a_clean_shutdown_the_recovery_point_is_the_log_end()
    {
        WriteLog(10);
        using PartitionLog log = PartitionLog.Open(LogDir, Tp, Config, hadCleanShutdown: true, recoveryPoint: 0);
        Assert.Equal(log.LogEndOffset, log.RecoveryPoint);
    }

    private static IEnumerable<long> LongRange(long from, long toExclusive)
    {
        for (long i = from; i < toExclusive; i++)
        {
            yield return i;
        }
    }
}
