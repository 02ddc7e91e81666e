using Microsoft.Extensions.Logging;
using Samsa.Protocol;

namespace Samsa.Storage.Tests;

public sealed class LogManagerTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static void AppendRecords(PartitionLog log, int count)
    {
        for (int i = 0; i < count; i++)
        {
            log.Append(Batches.Make("v" + log.LogEndOffset), 0);
        }

        log.UpdateHighWatermark(log.LogEndOffset);
    }

    [Theory]
    [InlineData("orders-0", "orders", 0)]
    [InlineData("my-topic-with-dashes-12", "my-topic-with-dashes", 12)]
    [InlineData("a.b_c-d-7", "a.b_c-d", 7)]
    [InlineData("__consumer_offsets-49", "__consumer_offsets", 49)]
    [InlineData("x--3", "x-", 3)]
    [InlineData("...-0", "...", 0)]
    public void Directory_names_parse_with_the_partition_after_the_last_dash(string name, string topic, int partition)
    {
        Assert.True(LogManager.TryParseLogDirectoryName(name, out TopicPartition parsed));
        Assert.Equal(new TopicPartition(topic, partition), parsed);
        Assert.Equal(name, LogManager.DirectoryName(parsed));
    }

    [Theory]
    [InlineData("lost+found")]
    [InlineData("orders")]
    [InlineData("orders-")]
    [InlineData("-0")]
    [InlineData("orders-x")]
    [InlineData("orders--1x")]
    [InlineData("orders-+1")]
    [InlineData("orders-99999999999")]
    [InlineData("bad topic-0")]
    [InlineData(".-0")]
    [InlineData("..-0")]
    [InlineData("orders-0.0123456789abcdef0123456789abcdef-delete")]
    public void Other_directory_names_do_not_parse(string name)
    {
        Assert.False(LogManager.TryParseLogDirectoryName(name, out _));
    }

    [Fact]
    public void Logs_reload_after_restart_with_odd_topic_names()
    {
        string logDir = _dir.Combine("data");
        TopicPartition[] partitions =
        [
            new("a.b_c-d", 0),
            new("my-topic-with-dashes", 7),
            new("x", 123),
            new("__consumer_offsets", 49),
            new("Topic.With.Dots", 2),
        ];

        using (var manager = new LogManager([logDir], LogConfig.Default))
        {
            manager.LoadLogs();
            for (int i = 0; i < partitions.Length; i++)
            {
                AppendRecords(manager.GetOrCreateLog(partitions[i]), i + 1);
            }
        }

        Assert.True(File.Exists(Path.Combine(logDir, LogManager.CleanShutdownFileName)));
        Directory.CreateDirectory(Path.Combine(logDir, "lost+found"));
        Directory.CreateDirectory(Path.Combine(logDir, "not-a-partition-x"));
        Directory.CreateDirectory(Path.Combine(logDir, "gone-3.0123456789abcdef0123456789abcdef-delete"));
        File.WriteAllText(Path.Combine(logDir, "gone-3.0123456789abcdef0123456789abcdef-delete", "00000000000000000000.log"), "x");

        var logger = new ListLogger();
        using (var manager = new LogManager([logDir], LogConfig.Default, logger))
        {
            manager.LoadLogs();
            Assert.Equal(partitions.Length, manager.AllLogs.Count);
            for (int i = 0; i < partitions.Length; i++)
            {
                PartitionLog? log = manager.GetLog(partitions[i]);
                Assert.NotNull(log);
                Assert.Equal(partitions[i], log.TopicPartition);
                Assert.Equal(i + 1, log.LogEndOffset);
                Assert.Equal(i + 1, Batches.ReadAll(log).Count);
            }

            Assert.False(File.Exists(Path.Combine(logDir, LogManager.CleanShutdownFileName)));
            Assert.True(Directory.Exists(Path.Combine(logDir, "lost+found")));
            Assert.False(Directory.Exists(Path.Combine(logDir, "gone-3.0123456789abcdef0123456789abcdef-delete")));
            Assert.Equal(2, logger.Lines.Count(l => l.Level == LogLevel.Warning && l.Message.Contains("skipping", StringComparison.Ordinal)));
            Assert.Contains(logger.Lines, l => l.Message.Contains("clean shutdown", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Unclean_restart_recovers_and_logs_one_line_per_truncated_partition()
    {
        string logDir = _dir.Combine("data");
        var torn = new TopicPartition("torn", 0);
        var intact = new TopicPartition("intact", 0);
        using (var manager = new LogManager([logDir], LogConfig.Default))
        {
            AppendRecords(manager.GetOrCreateLog(torn), 3);
            AppendRecords(manager.GetOrCreateLog(intact), 3);
        }

        File.Delete(Path.Combine(logDir, LogManager.CleanShutdownFileName));
        string segment = Path.Combine(logDir, "torn-0", LogSegment.FileName(0, ".log"));
        byte[] bytes = File.ReadAllBytes(segment);
        File.WriteAllBytes(segment, bytes.AsSpan(0, bytes.Length - 3).ToArray());

        var logger = new ListLogger();
        using var reloaded = new LogManager([logDir], LogConfig.Default, logger);
        reloaded.LoadLogs();
        Assert.Equal(2, reloaded.GetLog(torn)!.LogEndOffset);
        Assert.Equal(3, reloaded.GetLog(intact)!.LogEndOffset);
        var truncations = logger.Lines.Where(l => l.Message.Contains("truncated", StringComparison.Ordinal)).ToList();
        Assert.Single(truncations);
        Assert.Contains("torn-0", truncations[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_shutdown_marker_needs_a_loaded_manager()
    {
        string logDir = _dir.Combine("data");
        using (var manager = new LogManager([logDir], LogConfig.Default))
        {
            manager.GetOrCreateLog(new TopicPartition("t", 0));
        }

        Assert.False(File.Exists(Path.Combine(logDir, LogManager.CleanShutdownFileName)));
        using (var manager = new LogManager([logDir], LogConfig.Default))
        {
            manager.LoadLogs();
        }

        Assert.True(File.Exists(Path.Combine(logDir, LogManager.CleanShutdownFileName)));
    }

    [Fact]
    public void New_partitions_go_to_the_log_dir_with_the_fewest()
    {
        string first = _dir.Combine("d1");
        string second = _dir.Combine("d2");
        using var manager = new LogManager([first, second], LogConfig.Default);
        manager.LoadLogs();
        for (int p = 0; p < 6; p++)
        {
            manager.GetOrCreateLog(new TopicPartition("t", p));
        }

        Assert.Equal(3, Directory.GetDirectories(first).Length);
        Assert.Equal(3, Directory.GetDirectories(second).Length);
        Assert.Same(manager.GetLog(new TopicPartition("t", 2)), manager.GetOrCreateLog(new TopicPartition("t", 2)));
    }

    [Fact]
    public void Logs_in_several_dirs_all_load()
    {
        string first = _dir.Combine("d1");
        string second = _dir.Combine("d2");
        using (var manager = new LogManager([first, second], LogConfig.Default))
        {
            for (int p = 0; p < 4; p++)
            {
                AppendRecords(manager.GetOrCreateLog(new TopicPartition("t", p)), p + 1);
            }
        }

        using var reloaded = new LogManager([first, second], LogConfig.Default);
        reloaded.LoadLogs();
        for (int p = 0; p < 4; p++)
        {
            Assert.Equal(p + 1, reloaded.GetLog(new TopicPartition("t", p))!.LogEndOffset);
        }
    }

    [Fact]
    public void The_same_partition_in_two_dirs_fails_the_load()
    {
        string first = _dir.Combine("d1");
        string second = _dir.Combine("d2");
        Directory.CreateDirectory(Path.Combine(first, "t-0"));
        Directory.CreateDirectory(Path.Combine(second, "t-0"));
        using var manager = new LogManager([first, second], LogConfig.Default);
        Assert.Throws<InvalidOperationException>(() => manager.LoadLogs());
    }

    [Fact]
    public void DeleteLog_removes_the_directory_and_a_new_log_starts_empty()
    {
        string logDir = _dir.Combine("data");
        var tp = new TopicPartition("doomed.topic", 1);
        using var manager = new LogManager([logDir], LogConfig.Default);
        AppendRecords(manager.GetOrCreateLog(tp), 5);
        Assert.True(Directory.Exists(Path.Combine(logDir, "doomed.topic-1")));

        Assert.True(manager.DeleteLog(tp));
        Assert.Null(manager.GetLog(tp));
        Assert.Empty(Directory.GetDirectories(logDir));
        Assert.False(manager.DeleteLog(tp));

        PartitionLog recreated = manager.GetOrCreateLog(tp);
        Assert.Equal(0, recreated.LogEndOffset);
    }

    [Fact]
    public void Invalid_topic_names_are_refused()
    {
        using var manager = new LogManager([_dir.Combine("data")], LogConfig.Default);
        Assert.Throws<ArgumentException>(() => manager.GetOrCreateLog(new TopicPartition("no/slashes", 0)));
        Assert.Throws<ArgumentException>(() => manager.GetOrCreateLog(new TopicPartition("..", 0)));
        Assert.Throws<ArgumentException>(() => manager.GetOrCreateLog(new TopicPartition(new string('a', 250), 0)));
        Assert.Throws<ArgumentException>(() => manager.GetOrCreateLog(new TopicPartition("t", -1)));
    }

    [Fact]
    public void FlushAll_and_concurrent_creation_are_safe()
    {
        using var manager = new LogManager([_dir.Combine("data")], LogConfig.Default);
        Parallel.For(0, 64, i =>
        {
            PartitionLog log = manager.GetOrCreateLog(new TopicPartition("c", i % 8));
            lock (log)
            {
                AppendRecords(log, 1);
            }
        });
        manager.FlushAll();
        Assert.Equal(8, manager.AllLogs.Count);
        Assert.Equal(64, manager.AllLogs.Sum(l => l.LogEndOffset));
    }
}
