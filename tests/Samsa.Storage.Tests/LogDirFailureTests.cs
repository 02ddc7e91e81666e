using Samsa.Protocol;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Tests;

public sealed class LogDirFailureTests : IDisposable
{
    private static readonly LogConfig SmallSegments = LogConfig.Default with { SegmentBytes = 1024 };
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static long Append(PartitionLog log, int count = 2, int padding = 0)
    {
        byte[] batch = Batches.Numbered("r" + log.LogEndOffset, count, padding);
        Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out _));
        return log.Append(batch, 0).LastOffset + 1;
    }

    /// <summary>
    /// Appends until the next append rolls, makes the segment file that roll creates a link to /dev/full (where every
    /// write fails with ENOSPC) and appends once more.
    /// </summary>
    private static void AppendUntilRollFails(PartitionLog log)
    {
        while (true)
        {
            byte[] batch = Batches.Numbered("r", 2, 100);
            Assert.Equal(ErrorCode.None, BatchValidator.ValidateProduceRecords(batch, out _, out _));
            if (log.Segments[^1].Size + batch.Length > log.Config.SegmentBytes)
            {
                File.CreateSymbolicLink(Path.Combine(log.Directory, LogSegment.FileName(log.LogEndOffset, LogSegment.LogFileSuffix)), "/dev/full");
                log.Append(batch, 0);
                return;
            }

            log.Append(batch, 0);
        }
    }

    [Fact]
    public void Full_disk_on_a_roll_takes_that_log_dir_offline_and_the_other_dir_keeps_serving()
    {
        string failing = _dir.Combine("a");
        string healthy = _dir.Combine("b");
        var logger = new ListLogger();
        var manager = new LogManager([failing, healthy], SmallSegments, logger);
        manager.LoadLogs();
        PartitionLog broken = manager.GetOrCreateLog(new TopicPartition("orders", 0));
        PartitionLog other = manager.GetOrCreateLog(new TopicPartition("orders", 1));
        PartitionLog sibling = manager.GetOrCreateLog(new TopicPartition("orders", 2));
        Assert.Equal(Path.GetFullPath(failing), LogManager.LogDirOf(broken));
        Assert.Equal(Path.GetFullPath(healthy), LogManager.LogDirOf(other));
        Assert.Equal(Path.GetFullPath(failing), LogManager.LogDirOf(sibling));
        long before = Append(broken, 2, 100);
        Append(sibling);

        IOException failure = Assert.ThrowsAny<IOException>(() => AppendUntilRollFails(broken));
        Assert.True(manager.HandleLogFailure(broken, failure));

        Assert.True(manager.IsLogDirOffline(failing));
        Assert.False(manager.IsLogDirOffline(healthy));
        Assert.True(broken.IsOffline);
        Assert.True(sibling.IsOffline);
        Assert.False(other.IsOffline);
        Assert.Throws<LogDirOfflineException>(() => Append(broken));
        Assert.Throws<LogDirOfflineException>(() => Append(sibling));
        Assert.Equal(ErrorCode.KafkaStorageError, broken.Read(0, 10_000, true, long.MaxValue).Error);
        Assert.Equal(ErrorCode.KafkaStorageError, sibling.Read(0, 10_000, true, long.MaxValue).Error);
        Assert.True(before <= broken.LogEndOffset);

        long end = Append(other, 3);
        Assert.Equal(3, Batches.ReadAll(other).Count);
        Assert.Equal(3, end);
        PartitionLog created = manager.GetOrCreateLog(new TopicPartition("orders", 3));
        Assert.Equal(Path.GetFullPath(healthy), LogManager.LogDirOf(created));

        // Reported once, by one line naming the dir and the cause.
        Assert.True(manager.HandleLogFailure(sibling, new IOException("again")));
        Assert.False(manager.MarkLogDirOffline(failing, new IOException("again")));
        var lines = logger.Lines.Where(l => l.Message.Contains("offline", StringComparison.Ordinal)).ToList();
        var line = Assert.Single(lines);
        Assert.Contains(Path.GetFullPath(failing), line.Message, StringComparison.Ordinal);
        Assert.Contains("space", line.Message, StringComparison.OrdinalIgnoreCase);

        manager.Dispose();
        Assert.False(File.Exists(Path.Combine(failing, LogManager.CleanShutdownFileName)));
        Assert.True(File.Exists(Path.Combine(healthy, LogManager.CleanShutdownFileName)));
    }

    [Fact]
    public async Task Failed_group_commit_sync_takes_the_log_dir_offline()
    {
        using var manager = new LogManager([_dir.Combine("a"), _dir.Combine("b")], LogConfig.Default);
        manager.LoadLogs();
        GroupCommitFlusher flusher = manager.StartGroupCommit(handle => throw new IOException("Input/output error"));
        PartitionLog log = manager.GetOrCreateLog(new TopicPartition("orders", 0));
        PartitionLog other = manager.GetOrCreateLog(new TopicPartition("orders", 1));

        Assert.False(await flusher.WaitForFlushAsync(log, Append(log)).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.True(log.IsOffline);
        Assert.True(manager.IsLogDirOffline(_dir.Combine("a")));
        Assert.False(other.IsOffline);
        Assert.False(await flusher.WaitForFlushAsync(log, 1).AsTask());
    }
}
